import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dateIn, numberFormat } from '../dates.js';
import type { Neighborhood, Survey } from '../db/schema.js';
import { csvRecords } from '../export/csv.js';
import { localize, negotiateLanguage, translate } from '../i18n/index.js';
import { LANGUAGE_COOKIE, setPageLanguage } from '../plugins/request-context.js';
import { aggregatesTask, publicPageTask } from '../results/figures.js';
import { isWeighted, measureOptions } from '../results/filters.js';
import { chartScripts, trendTable } from '../results/routes.js';
import { CITY, type TrendRequest } from '../results/trends.js';
import { bucketStart, shiftBucket } from '../stats/buckets.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import { apiErrorSchema, documented } from '../plugins/openapi.js';
import { publicFiguresSchema } from './api-schemas.js';
import { comparisonSentence, localDate, localizeTrends, measureName, periodLabel } from './view.js';

// Public figures cover the last two years, in months or quarters only: never a window narrow enough to single anyone out.
const MONTHS_SHOWN = 24;
const publicQuery = z.object({
  bucket: z.enum(['month', 'quarter']).catch('month'),
  // Rolling months; unset: the finest window in which every neighborhood has a figure.
  rolling: z.coerce
    .number()
    .pipe(z.union([z.literal(1), z.literal(3), z.literal(6), z.literal(12)]))
    .optional()
    .catch(undefined),
  lang: z.string().max(10).optional().catch(undefined),
  // A neighborhood's slug to compare with the city; an unknown one is ignored with a message.
  neighborhood: z.string().optional().catch(undefined),
  // Weighted to the census by default where the survey has margins; a visitor may ask for the unweighted figures.
  weighting: z.enum(['weighted', 'unweighted']).optional().catch(undefined),
  bom: z.literal('1').optional().catch(undefined),
});
const slugParams = z.object({ surveySlug: z.string().max(200) });

/** The public transparency page, its embeddable version and its open data: aggregates only, suppressed like everywhere. */
export async function publicRoutes(app: FastifyInstance) {
  const { results, events } = app;
  const rules = app.release.public;

  async function published(request: FastifyRequest) {
    const params = slugParams.safeParse(request.params);
    const found = params.success ? await app.surveys.findWithQuestions(params.data.surveySlug) : undefined;
    return found?.survey.published ? found : undefined;
  }

  function notFound(request: FastifyRequest, reply: FastifyReply) {
    return reply.code(404).view('errors/error', { title: translate(request.lang, 'notFound.title'), message: translate(request.lang, 'notFound.body') });
  }

  type Published = NonNullable<Awaited<ReturnType<typeof published>>>;

  /** The public window: the last two years of complete months. */
  function publicRequest(
    survey: Survey,
    neighborhoods: readonly Neighborhood[],
    bucket: 'month' | 'quarter',
    rolling: number,
    weighted: boolean,
  ): TrendRequest {
    const to = app.release.latestDay(rules, dateIn(app.config.TIME_ZONE));
    const from = shiftBucket(bucketStart(to, 'month'), 'month', 1 - MONTHS_SHOWN);
    // The public page counts every response (samples are for staff pages).
    return { survey, measure: TRUST_MEASURE, bucket, from, to, latest: to, rolling, neighborhoods, selected: null, weighted, sample: 'all' };
  }

  /**
   * What a public page shows, for the visitor's bucket and window: computed where the sums are read, once until the data
   * or the day changes, not once per visitor (a visitor reloading the page costs a render, not the statistics).
   */
  async function publicFigures(found: Published, query: z.infer<typeof publicQuery>) {
    // Weighted to the census wherever the survey has margins, unless the visitor asks otherwise; the page says which.
    const weighted = isWeighted(query.weighting, await app.weighting.hasMargins(found.survey.id));
    const neighborhoods = await results.neighborhoods();
    const request = publicRequest(found.survey, neighborhoods, query.bucket, query.rolling ?? 1, weighted);
    const figures = await app.store.task(publicPageTask, {
      request,
      rules,
      measures: measureOptions(found.questions).map((m) => m.value),
      rolling: query.rolling,
      active: new Set(neighborhoods.flatMap((n) => (n.retired ? [] : [n.slug]))),
    });
    return { ...figures, neighborhoods, weighted, request: { ...request, rolling: figures.rolling } };
  }

  async function pageData(request: FastifyRequest, reply: FastifyReply, found: Published) {
    const { survey, questions } = found;
    const query = publicQuery.parse(request.query);
    const all = await publicFigures(found, query);
    const lang = negotiateLanguage(survey.languages, {
      query: query.lang,
      cookie: request.cookies[LANGUAGE_COOKIE],
      acceptLanguage: request.headers['accept-language'],
    });
    setPageLanguage(request, reply, lang);
    const { rolling } = all;
    const allTrends = localizeTrends(all.trust, lang);
    // A visitor's own neighborhood against the city: the chart and tables show just those two.
    const asked = query.neighborhood?.trim() || undefined;
    const chosen = asked === undefined ? undefined : allTrends.series.find((s) => s.area !== CITY && s.area === asked);
    const trends = chosen ? { ...allTrends, series: allTrends.series.filter((s) => s.area === CITY || s === chosen) } : allTrends;
    const cityCells = allTrends.series.find((s) => s.area === CITY)!.cells;
    const choice = {
      options: allTrends.series
        .filter((s) => s.area !== CITY && !all.neighborhoods.find((n) => n.slug === s.area)?.retired)
        .map((s) => ({ slug: s.area, name: s.name, selected: s === chosen })),
      chosen: chosen?.area ?? null,
      unknown: asked !== undefined && !chosen,
      sentence: chosen ? comparisonSentence(lang, chosen.name, chosen.cells.at(-1)!, cityCells.at(-1)!) : null,
    };
    const shownEvents = (await events.inRange(trends.from, trends.to))
      .filter((e) => e.isPublic)
      .map((e) => ({
        id: e.id,
        title: localize(e.title, lang),
        occurredOn: e.occurredOn,
        date: localDate(e.occurredOn, lang),
        area: e.neighborhoodName ?? translate(lang, 'public.city'),
        bucket: periodLabel(bucketStart(e.occurredOn, trends.bucket), trends.bucket, lang),
      }));
    return {
      lang,
      survey,
      questions,
      figures: all,
      query,
      trends,
      events: shownEvents,
      chart: {
        trends,
        events: shownEvents,
        band: false,
        text: {
          notEnough: translate(lang, 'public.notEnough', { min: rules.minReliableSize }),
          ci: translate(lang, 'public.interval'),
          lowReliability: translate(lang, 'public.lowReliability'),
          axis: translate(lang, 'public.axis'),
        },
      },
      common: {
        surveyTitle: localize(survey.title, lang),
        slug: survey.slug,
        scripts: chartScripts,
        trends,
        table: trendTable(trends),
        minGroupSize: rules.minGroupSize,
        minReliableSize: rules.minReliableSize,
        lowReliabilitySize: rules.lowReliabilitySize,
        rolling,
        weighted: all.weighted,
        weightingSwitch: (await app.weighting.hasMargins(survey.id))
          ? `/public/${survey.slug}?bucket=${query.bucket}&rolling=${rolling}&lang=${lang}&weighting=${all.weighted ? 'unweighted' : 'weighted'}${chosen ? `&neighborhood=${encodeURIComponent(chosen.area)}` : ''}`
          : null,
        periods: (['month', 'quarter'] as const).map((b) => ({
          value: b,
          label: translate(lang, b === 'month' ? 'public.months' : 'public.quarters'),
          selected: b === query.bucket,
        })),
        events: shownEvents,
        choice,
        counted: numberFormat(lang).format(all.counted),
        from: localDate(trends.from, lang),
        to: localDate(trends.to, lang),
        dataUrl: `/public/${survey.slug}/data.csv?bucket=${query.bucket}&rolling=${rolling}${all.weighted ? '' : '&weighting=unweighted'}`,
        pageUrl: `/public/${survey.slug}?bucket=${query.bucket}&rolling=${rolling}&lang=${lang}${chosen ? `&neighborhood=${encodeURIComponent(chosen.area)}` : ''}`,
      },
    };
  }

  /** Every dimension over the last twelve months, pooled, with the same suppression as each month. */
  function dimensions(data: Pick<Awaited<ReturnType<typeof pageData>>, 'figures' | 'lang' | 'questions'>) {
    return {
      measures: measureOptions(data.questions).map((m) => ({ measure: m.value, name: measureName(m.value, data.lang) })),
      areas: data.figures.dimensions.map((a) => ({ ...a, name: a.area === CITY ? translate(data.lang, 'public.city') : a.name })),
    };
  }

  app.get('/public', async (request, reply) => {
    const surveys = (await app.surveys.publishedSurveys()).map((s) => ({ slug: s.slug, title: localize(s.title, request.lang) }));
    return reply.view('public/index', { title: translate(request.lang, 'home.published'), surveys });
  });

  app.get('/public/:surveySlug', async (request, reply) => {
    const found = await published(request);
    if (!found) return notFound(request, reply);
    const data = await pageData(request, reply, found);
    const { measures, areas: all } = dimensions(data);
    const chosen = data.common.choice.chosen;
    const areas = all.filter((a) => chosen === null || a.area === CITY || a.area === chosen);
    return reply.view('public/page', {
      ...data.common,
      title: translate(data.lang, 'public.title', { survey: data.common.surveyTitle }),
      chart: data.chart,
      dimensions: { measures: measures.map((m) => m.name), areas },
    });
  });

  // The page's figures as open data, for those who cannot log in: the same function, the same suppression.
  app.get(
    '/public/:surveySlug/data.json',
    documented({
      tags: ['public'],
      summary: 'The figures of the public results page (trust over time, dimensions over the last 12 months, public events)',
      params: slugParams,
      querystring: publicQuery,
      response: { 200: publicFiguresSchema, 404: apiErrorSchema },
    }),
    async (request, reply) => {
      const found = await published(request);
      if (!found) return reply.code(404).send({ error: 'Not Found', message: translate(request.lang, 'notFound.body') });
      const data = await pageData(request, reply, found);
      return {
        survey: data.survey.slug,
        title: data.common.surveyTitle,
        language: data.lang,
        minGroupSize: rules.minGroupSize,
        minReliableSize: rules.minReliableSize,
        lowReliabilitySize: rules.lowReliabilitySize,
        trust: data.trends,
        dimensions: dimensions(data),
        events: data.events.map(({ title, occurredOn, area }) => ({ title, occurredOn, area })),
      };
    },
  );

  app.get('/public/:surveySlug/embed', async (request, reply) => {
    const found = await published(request);
    if (!found) return notFound(request, reply);
    const data = await pageData(request, reply, found);
    // Only the configured sites may frame the embed; every other page refuses framing altogether.
    const origins = app.config.EMBED_ORIGINS;
    const csp = String(reply.getHeader('content-security-policy') ?? '');
    reply.header('content-security-policy', csp.replace(/frame-ancestors [^;]+/, `frame-ancestors ${origins.length ? origins.join(' ') : "'none'"}`));
    if (origins.length) reply.removeHeader('x-frame-options');
    reply.locals = { ...reply.locals, embed: true };
    return reply.view('public/embed', { ...data.common, title: translate(data.lang, 'public.title', { survey: data.common.surveyTitle }), chart: data.chart });
  });

  app.get('/public/:surveySlug/data.csv', async (request, reply) => {
    const found = await published(request);
    if (!found) return notFound(request, reply);
    const query = publicQuery.parse(request.query);
    const all = await publicFigures(found, query);
    const measures = measureOptions(found.questions);
    const rows = await app.store.task(aggregatesTask, { request: all.request, rules, measures, questions: found.questions });
    const fileName = `${found.survey.slug}-public-${query.bucket}-${dateIn(app.config.TIME_ZONE)}.csv`;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .send(csvRecords(rows, { bom: query.bom === '1' }));
  });
}
