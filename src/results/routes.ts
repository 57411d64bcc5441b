import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { audit } from '../audit/record.js';
import { requireRole } from '../auth/guards.js';
import { dateIn } from '../dates.js';
import { NO_CACHED_DATA } from '../db/store.js';
import { csvRecords } from '../export/csv.js';
import { localize } from '../i18n/index.js';
import type { Neighborhood, WeightingRun } from '../db/schema.js';
import { eventKindLabels } from '../events/schemas.js';
import { DEFAULT_IMPACT_MONTHS } from '../events/impact.js';
import { verdictView } from '../events/verdict-view.js';
import { bucketKinds, bucketLabel, bucketStart, shiftBucket, snapRange } from '../stats/buckets.js';
import type { ReleaseRules } from '../stats/cells.js';
import { documented, staffErrors } from '../plugins/openapi.js';
import { trendsSchema } from './api-schemas.js';
import { aggregatesTask, cityPageTask, impactsTask, neighborhoodTask, trendsTask } from './figures.js';
import {
  MAX_ROLLING,
  measureLabel,
  queryParams,
  resolveFilters,
  sampleLabels,
  sampleNote,
  sampleOptions,
  type LeftOut,
  trendQuerySchema,
  weightingNote,
  zodFieldErrors,
  type FieldErrors,
  type ResolvedFilters,
} from './filters.js';
import type { LatestChange } from './neighborhood.js';
import { changeVerdict } from './change-verdict.js';
import { sampleVersusCensus } from './representation.js';
import { CITY, type Trends } from './trends.js';

export const chartScripts = ['/static/vendor/chart.umd.min.js', '/static/vendor/chartjs-plugin-annotation.min.js', '/static/js/charts.js'];

const bucketNames = { month: 'Month', quarter: 'Quarter', half: 'Half-year', year: 'Year' } as const;

/** First error as a 400 JSON body naming the field. */
export function badQuery(reply: FastifyReply, errors: FieldErrors) {
  const [field, message] = Object.entries(errors)[0];
  return reply.code(400).send({ error: 'Bad Request', field, message: `${field}: ${message}`, fields: errors });
}

/** Rows of a trend table: one per bucket, one cell per series. */
export function trendTable(trends: Trends) {
  return trends.buckets.map((bucket, i) => ({ ...bucket, cells: trends.series.map((s) => s.cells[i]) }));
}

/** The request's query again ("?a=1&b=2", or "" without one), to carry the same filters to another page. */
function queryString(query: unknown): string {
  const params = queryParams(query);
  return params.size > 0 ? `?${params}` : '';
}

/** How many neighborhoods the results summary names as having moved most. */
const MOVED_SHOWN = 3;

/** The opening summary of the results page: the city-wide figure and its change, and the neighborhoods that moved most. */
export function resultsSummary(rows: readonly LatestChange[], detailQuery: URLSearchParams) {
  const withVerdict = (row: LatestChange) => ({ ...row, verdict: changeVerdict(row.change, row.minimum_detectable) });
  const city = rows.find((r) => r.area === CITY);
  const moved = rows
    .filter((r) => r.area !== CITY && r.change !== null)
    .sort((a, b) => Math.abs(b.change!.estimate) - Math.abs(a.change!.estimate))
    .slice(0, MOVED_SHOWN)
    .map((r) => ({ ...withVerdict(r), href: `/results/${r.area}?${detailQuery}` }));
  return { city: city ? withVerdict(city) : null, moved };
}

const neighborhoodParams = z.object({ neighborhood: z.string().max(200) });
const weightingQuery = z.object({ survey: z.string().max(200).optional() });

export async function resultsRoutes(app: FastifyInstance) {
  const { results, events } = app;
  const staffOnly = requireRole('admin', 'liaison');

  async function filters(request: FastifyRequest, rules: ReleaseRules): Promise<{ ok: true; value: ResolvedFilters } | { ok: false; errors: FieldErrors }> {
    const parsed = trendQuerySchema.safeParse(request.query);
    if (!parsed.success) return { ok: false, errors: zodFieldErrors(parsed.error) };
    return resolveFilters(parsed.data, {
      surveys: results.surveys,
      neighborhoods: results.neighborhoods,
      findSurvey: async (slug) => app.surveys.findWithQuestions(slug),
      hasMargins: app.weighting.hasMargins,
      latest: app.release.latestDay(rules, dateIn(app.config.TIME_ZONE)),
    });
  }

  /** One neighborhood's trends and detail (groups, answers, issues) for the filters asked. */
  async function neighborhoodFigures(filters: ResolvedFilters, neighborhood: Neighborhood, rules: ReleaseRules) {
    const { request: base, questions, measures } = filters;
    const request = { ...base, selected: new Set([neighborhood.slug]) };
    const { trends, detail } = await app.store.task(neighborhoodTask, { request, rules, neighborhood, questions, measures });
    return { base, trends, detail };
  }

  /** Thresholds every results page states. */
  const thresholds = (rules: ReleaseRules) => ({
    minGroupSize: rules.minGroupSize,
    minReliableSize: rules.minReliableSize,
    lowReliabilitySize: rules.lowReliabilitySize,
    exact: !rules.perturb,
  });

  /** The GET filter form, keeping what was asked for. */
  async function filterForm(request: FastifyRequest, resolved: ResolvedFilters | null, errors: FieldErrors = {}) {
    const raw = request.query as Record<string, unknown>;
    const text = (key: string) => (typeof raw[key] === 'string' ? raw[key] : '');
    const selected = new Set([raw.neighborhood ?? []].flat());
    const r = resolved?.request;
    const errorList = Object.entries(errors).map(([field, message]) => ({ href: `#filter-${field}`, message: `${field}: ${message}` }));
    return {
      surveys: (await results.surveys()).map((s) => ({ slug: s.slug, title: s.title.en ?? s.slug, selected: s.slug === (r?.survey.slug ?? text('survey')) })),
      from: r?.from ?? text('from'),
      to: r?.to ?? text('to'),
      rolling: r?.rolling ?? text('rolling'),
      maxRolling: MAX_ROLLING,
      buckets: bucketKinds.map((b) => ({ value: b, label: bucketNames[b], selected: b === (r?.bucket ?? (text('bucket') || 'month')) })),
      measures: (resolved?.measures ?? []).map((m) => ({ ...m, selected: m.value === r?.measure })),
      neighborhoods: (await results.neighborhoods()).map((n) => ({ slug: n.slug, name: n.name, checked: selected.has(n.slug) })),
      weighting:
        r && (await app.weighting.hasMargins(r.survey.id))
          ? [
              { value: 'weighted', label: 'Weighted to the census', selected: r.weighted },
              { value: 'unweighted', label: 'Unweighted (who answered)', selected: !r.weighted },
            ]
          : null,
      samples: sampleOptions(r?.sample ?? 'all'),
      errors,
      errorList,
      hasErrors: errorList.length > 0,
    };
  }

  async function markers(from: string, to: string, trends: Trends, areas: ReadonlySet<string> | null) {
    return (await events.inRange(from, to))
      .filter((e) => e.neighborhoodSlug === null || !areas || areas.has(e.neighborhoodSlug))
      .map((e) => ({
        id: e.id,
        title: localize(e.title, 'en'),
        occurredOn: e.occurredOn,
        kind: eventKindLabels[e.kind],
        area: e.neighborhoodName ?? 'City-wide',
        bucket: bucketLabel(bucketStart(e.occurredOn, trends.bucket), trends.bucket),
      }));
  }

  /** What both trend pages show: the filter form, the chart's series and the same figures as a table. */
  async function trendView(request: FastifyRequest, resolved: ResolvedFilters, trends: Trends, leftOut: readonly LeftOut[] = trends.sample.left_out) {
    const { sample, weighted } = resolved.request;
    const names = new Map(resolved.request.neighborhoods.map((n) => [n.slug, n.name]));
    return {
      scripts: chartScripts,
      weighting: weightingNote(request.url, request.query, weighted, sample === 'all' && (await app.weighting.hasMargins(resolved.request.survey.id))),
      sample: sampleNote(request.url, request.query, sample, leftOut, names),
      filters: await filterForm(request, resolved),
      measureLabel: measureLabel(trends.measure),
      trends,
      table: trendTable(trends),
      rollingWindow: trends.rolling > 1,
    };
  }

  app.get(
    '/api/trends',
    {
      preHandler: staffOnly,
      ...documented({
        tags: ['results'],
        summary: 'Trust (or any measure) per neighborhood and for the city, per month, quarter, half-year or year (complete months, perturbed, for liaisons)',
        security: [{ staffSession: [] }],
        querystring: trendQuerySchema,
        response: { 200: trendsSchema, ...staffErrors },
      }),
    },
    async (request, reply) => {
      const rules = app.release.rulesFor(request);
      const resolved = await filters(request, rules);
      if (!resolved.ok) return badQuery(reply, resolved.errors);
      return app.store.task(trendsTask, { request: resolved.value.request, rules });
    },
  );

  app.get('/results', { preHandler: staffOnly }, async (request, reply) => {
    const rules = app.release.rulesFor(request);
    const resolved = await filters(request, rules);
    const common = { title: 'Results', filterAction: '/results', showNeighborhoodFilter: true, ...thresholds(rules) };
    if (!resolved.ok) return reply.code(400).view('results/city', { ...common, filters: await filterForm(request, null, resolved.errors) });
    const raw = request.query as Record<string, unknown>;
    // With no view asked for, open on the finest rolling window in which every neighborhood has a figure.
    const choosingOpening = !(raw.bucket || raw.rolling);
    const active = new Set((await results.neighborhoods()).flatMap((n) => (n.retired ? [] : [n.slug])));
    const { opening, trends, changes } = await app.store.task(cityPageTask, { request: resolved.value.request, rules, choosingOpening, active });
    if (opening) resolved.value.request.rolling = opening.rolling;
    const { request: trendRequest } = resolved.value;
    const exportQuery = new URLSearchParams({
      survey: trends.survey,
      from: trends.from,
      to: trends.to,
      bucket: trends.bucket,
      rolling: String(trends.rolling),
      ...(trends.sample.kind === 'all' ? {} : { sample: trends.sample.kind }),
    });
    const detailQuery = new URLSearchParams({ ...Object.fromEntries(exportQuery), measure: trends.measure });
    return reply.view('results/city', {
      ...common,
      ...(await trendView(request, resolved.value, trends)),
      opening,
      changes: { ...changes, rows: changes.rows.map((row) => ({ ...row, href: row.area === CITY ? null : `/results/${row.area}?${detailQuery}` })) },
      summary: resultsSummary(changes.rows, detailQuery),
      chart: { trends, events: await markers(trends.from, trends.to, trends, trendRequest.selected), band: false },
      exportUrl: `/results/export.csv?${exportQuery}&${new URLSearchParams({ _csrf: String(reply.locals.csrfToken) })}`,
    });
  });

  app.get('/results/export.csv', { preHandler: [staffOnly, app.csrfProtection] }, async (request, reply) => {
    const rules = app.release.rulesFor(request);
    const resolved = await filters(request, rules);
    if (!resolved.ok) return badQuery(reply, resolved.errors);
    const { request: trendRequest, measures, questions } = resolved.value;
    const csv = await app.store.task(aggregatesTask, { request: trendRequest, rules, measures, questions });
    const bom = (request.query as Record<string, unknown>).bom === '1';
    await app.store.transaction(
      (tx) =>
        audit(tx, app.store.tables, {
          userId: request.staffUser!.id,
          action: 'export.aggregates',
          entity: 'survey',
          entityId: trendRequest.survey.id,
          details: {
            ...snapRange(trendRequest.from, trendRequest.to, trendRequest.bucket),
            bucket: trendRequest.bucket,
            rolling: trendRequest.rolling,
            sample: trendRequest.sample,
          },
        }),
      NO_CACHED_DATA,
    );
    const sampleName = trendRequest.sample === 'all' ? '' : `-${trendRequest.sample}`;
    const fileName = `${trendRequest.survey.slug}-aggregates${sampleName}-${dateIn(app.config.TIME_ZONE)}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${fileName}"`).send(csvRecords(csv, { bom }));
  });

  app.get('/results/weighting', { preHandler: staffOnly }, async (request, reply) => {
    const rules = app.release.rulesFor(request);
    const parsed = weightingQuery.safeParse(request.query);
    const slug = (parsed.success ? parsed.data.survey : undefined) ?? (await results.surveys())[0]?.slug;
    const found = slug === undefined ? undefined : await app.surveys.findWithQuestions(slug);
    if (!found) return reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no survey with this name.' });
    // The last twelve months a figure may show, as the opening trends.
    const to = app.release.latestDay(rules, dateIn(app.config.TIME_ZONE));
    const from = shiftBucket(bucketStart(to, 'month'), 'month', -11);
    const latestReports = new Map<number, WeightingRun>();
    for (const run of await app.weighting.reports(found.survey.id)) {
      if (run.month <= to && run.report && run.report.respondents > 0) latestReports.set(run.neighborhoodId, run);
    }
    const neighborhoods = await results.neighborhoods();
    return reply.view('results/weighting', {
      title: 'How the sample compares with the census',
      scripts: chartScripts,
      from,
      to,
      survey: found.survey,
      ...thresholds(rules),
      areas: sampleVersusCensus({
        neighborhoods,
        questions: found.questions,
        margins: await app.margins.forSurvey(found.survey.id),
        groups: await results.sampleGroups(found.survey.id, { from, to }),
        reports: latestReports,
        rules,
      }),
      unweighted: neighborhoods.filter((n) => !latestReports.get(n.id)?.report?.raked).map((n) => n.name),
    });
  });

  app.get('/results/:neighborhood', { preHandler: staffOnly }, async (request, reply) => {
    const params = neighborhoodParams.safeParse(request.params);
    const slug = params.success ? params.data.neighborhood : undefined;
    const neighborhood = (await results.neighborhoods()).find((n) => n.slug === slug);
    if (!neighborhood) return reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no neighborhood with this name.' });
    const rules = app.release.rulesFor(request);
    const resolved = await filters(request, rules);
    const common = { title: `Results: ${neighborhood.name}`, neighborhood, filterAction: `/results/${neighborhood.slug}`, ...thresholds(rules) };
    if (!resolved.ok) return reply.code(400).view('results/neighborhood', { ...common, filters: await filterForm(request, null, resolved.errors) });
    const { trends, detail } = await neighborhoodFigures(resolved.value, neighborhood, rules);
    const own = await events.ofNeighborhood(neighborhood.id);
    const cityWide = (await events.inRange(trends.from, trends.to)).filter((e) => e.neighborhoodId === null);
    // The detail may leave out more of this neighborhood's months than the trend (another measure's atom, or all its answers).
    const leftOut = [
      ...trends.sample.left_out,
      ...detail.leftOut
        .filter((month) => !trends.sample.left_out.some((l) => l.area === neighborhood.slug && l.month === month))
        .map((month) => ({ area: neighborhood.slug, month })),
    ];
    return reply.view('results/neighborhood', {
      ...common,
      ...(await trendView(request, resolved.value, trends, leftOut)),
      detail,
      scaleCharts: [
        { id: 'distribution-010', title: 'Answers on the 0–10 scale', questions: detail.distributions.filter((d) => d.scale === '0-10') },
        { id: 'distribution-agree5', title: 'Answers on the agreement scale', questions: detail.distributions.filter((d) => d.scale === 'agree5') },
      ].filter((c) => c.questions.length > 0),
      events: [...own, ...cityWide].map((e) => ({
        ...e,
        title: localize(e.title, 'en'),
        kindLabel: eventKindLabels[e.kind],
        cityWide: e.neighborhoodId === null,
      })),
      chart: { trends, events: await markers(trends.from, trends.to, trends, new Set([neighborhood.slug])), band: true },
      briefUrl: `/results/${neighborhood.slug}/brief${queryString(request.query)}`,
    });
  });
  /** Events on the meeting brief: the neighborhood's most recent ones that have happened. */
  const BRIEF_EVENTS = 3;
  // Periods of the trend on the meeting brief (the last ones of the range), so it fits one printed page.
  const BRIEF_PERIODS = 6;

  app.get('/results/:neighborhood/brief', { preHandler: staffOnly }, async (request, reply) => {
    const params = neighborhoodParams.safeParse(request.params);
    const slug = params.success ? params.data.neighborhood : undefined;
    const neighborhoods = await results.neighborhoods();
    const neighborhood = neighborhoods.find((n) => n.slug === slug);
    if (!neighborhood) return reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no neighborhood with this name.' });
    const rules = app.release.rulesFor(request);
    const resolved = await filters(request, rules);
    if (!resolved.ok) return badQuery(reply, resolved.errors);
    const { base, trends, detail } = await neighborhoodFigures(resolved.value, neighborhood, rules);
    const latest = app.release.latestDay(rules, dateIn(app.config.TIME_ZONE));
    const allEvents = await events.list();
    const shownEvents = (await events.ofNeighborhood(neighborhood.id)).filter((e) => e.occurredOn <= latest).slice(0, BRIEF_EVENTS);
    // One read for every event's impact: their histories overlap.
    const inputs = shownEvents.map((event) => ({
      event,
      survey: base.survey,
      measure: base.measure,
      months: DEFAULT_IMPACT_MONTHS,
      neighborhoods,
      events: allEvents,
      latest,
      weighted: base.weighted,
      sample: base.sample,
    }));
    const recent = (await app.store.task(impactsTask, { inputs, rules })).map((impact, i) => ({
      id: shownEvents[i].id,
      title: localize(shownEvents[i].title, 'en'),
      occurredOn: shownEvents[i].occurredOn,
      kindLabel: eventKindLabels[shownEvents[i].kind],
      verdict: verdictView(impact),
    }));
    const own = trends.series.find((s) => s.area === neighborhood.slug);
    const city = trends.series.find((s) => s.area === CITY);
    const trend = trends.buckets
      .map((b, i) => ({ label: b.label, own: own?.cells[i], city: city?.cells[i] }))
      .slice(-BRIEF_PERIODS)
      .reverse();
    const now = detail.dimensions.find((d) => d.measure === base.measure) ?? null;
    const verdictOf = (row: LatestChange) => changeVerdict(row.change, row.minimum_detectable);
    const query = queryString(request.query);
    return reply.view('results/brief', {
      title: `Meeting brief: ${neighborhood.name}`,
      neighborhood,
      ...thresholds(rules),
      measureLabel: measureLabel(trends.measure),
      sampleLabel: sampleLabels[base.sample],
      sampleLeftOut: sampleNote(request.url, request.query, base.sample, trends.sample.left_out, new Map(neighborhoods.map((n) => [n.slug, n.name])))
        .leftOut.map((l) => `${l.name} ${l.label}`)
        .join(', '),
      trends,
      trend,
      rollingWindow: trends.rolling > 1,
      impactMonths: DEFAULT_IMPACT_MONTHS,
      now: now && { ...now, verdict: verdictOf(now) },
      dimensions: detail.dimensions.map((d) => ({ ...d, verdict: verdictOf(d) })),
      latestPeriod: detail.latest,
      previousPeriod: detail.previous,
      events: recent,
      themes: {
        ...detail.themes,
        counts: detail.themes.counts.slice(0, 5),
        phrases: detail.themes.phrases.slice(0, 5),
        words: detail.themes.words.slice(0, 5),
      },
      backUrl: `/results/${neighborhood.slug}${query}`,
      printedOn: dateIn(app.config.TIME_ZONE),
    });
  });
}
