/**
 * The disclosure attack (issue 12): a liaison (and the public) reads every figure the routes release, each figure is
 * written as a linear combination of per-record unknowns (`collector.ts`), and the linear-Gaussian attacker
 * (`engine.ts`) computes how precisely the total score of any group of 1–9 responses can be estimated.
 *
 * Plugging in release rules:
 *  - a new route or figure: add a reader method that fetches it and calls `collector.cell(...)` (a sum of a measure
 *    over neighborhoods × dates [× demographic group]) or `collector.distribution(...)` with what was shown;
 *  - atoms: `Collector.atomNoise` groups a figure's records by (neighborhood, calendar month) per family (measure,
 *    measure × group option, scale item × point); a figure that covers part of an atom is kept exact and listed in
 *    `nonAtomFigures` — the protected run expects none;
 *  - noise: `sigma` is the SD of one atom version's noise on its sum (and on its count); the noise unknown's id is the
 *    atom plus its exact records, so re-reads share it and any change of records draws a fresh one.
 */
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { dateIn } from '../../../src/dates.js';
import { createEventQueries } from '../../../src/events/queries.js';
import { multipart, seedResponses, staffSessions } from '../admin.js';
import { csrfFrom } from '../app.js';
import { Collector, type Noise, type Phase, type Quantity, type ShownCell } from './collector.js';
import { analyseGroups, solve, type GroupFinding } from './engine.js';
import { freshAnswers, seedSparseCity } from './fixture.js';
import { periodEnd, periodsBetween, periodStart, shiftPeriod, type Period } from './periods.js';
import { readRecords, scoreCombo, scoreTruth, surveyShape, type SurveyShape } from './records.js';

const SURVEY = 'community-trust';
/** The promise: no group of 1–9 responses has its total score estimated more precisely than this (SD, 0–100 points). */
export const BOUND = 15;
const weak = { mean: 50, variance: 1000 ** 2 };

export type AttackMode = 'protected' | 'perturbation-off';

export interface AttackOptions {
  /** A freshly built app on an empty database (the fixture is stored into it). */
  app: FastifyInstance;
  /** "perturbation-off" reads every figure as exact; "protected" gives each atom version its noise. */
  mode: AttackMode;
  /** SD of the noise on each atom's released sum (score points); or sums and counts separately. */
  sigma: number | Noise;
  seed?: number;
}

export interface Leak extends GroupFinding {
  measure: string;
  size: number;
  /** Every way the collector named this group (a hidden cell on several routes, a live change, …). */
  names: string[];
}

export interface AttackReport {
  mode: AttackMode;
  requests: number;
  figures: number;
  /** Exact figures that disagree with the records (perturbation off): the collector's mapping is wrong if any. */
  mismatches: string[];
  /** Redundant exact figures that contradict others. */
  inconsistencies: string[];
  /** Figures that are not unions of whole atoms (protected mode keeps them exact). */
  nonAtomFigures: string[];
  perMeasure: { measure: string; records: number; provenByEigenvalue: boolean; worst: Leak }[];
  worst: Leak;
  /** Groups of 1–9 whose total's SD is under the bound, worst first (several per measure). */
  leaks: Leak[];
  /** Every named candidate group (hidden cells, live changes, skipped questions, parts of weeks) with its SD. */
  candidates: Leak[];
  describe(limit?: number): string;
}

type TrendsJson = {
  measure: string;
  bucket: Period;
  rolling: number;
  from: string;
  to: string;
  buckets: { start: string; end: string; label: string }[];
  series: { area: string; cells: ShownCell[] }[];
};

const decode = (s: string) =>
  s
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&amp;/g, '&');
const jsonBlock = <T>(html: string, id: string): T | null => {
  const m = new RegExp(`<script type="application/json" id="${id}"[^>]*>([\\s\\S]*?)</script>`).exec(html);
  return m ? (JSON.parse(m[1]) as T) : null;
};
/** A stat cell on a page: "<strong>62.4</strong> … n&nbsp;=&nbsp;31", or a suppressed notice. */
const htmlCell = (html: string): ShownCell => {
  const m = /<strong>(-?[\d.,]+)<\/strong>[\s\S]*?n&nbsp;=&nbsp;(\d+)/.exec(html);
  return m ? { n: Number(m[2]), mean: Number(m[1].replace(/,/g, '')) } : { n: null, mean: null, suppressed: true };
};

/** Reads everything a liaison and the public can read, in every phase, into the collector. */
class Reader {
  private readonly all: string[];
  constructor(
    private readonly c: Collector,
    private readonly shape: SurveyShape,
    private readonly get: (url: string) => Promise<{ statusCode: number; body: string }>,
    private readonly names: Map<string, string>,
    private readonly today: string,
  ) {
    this.all = [...c.neighborhoods];
  }

  private async fetch(url: string) {
    this.c.requests++;
    const res = await this.get(url);
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
    return res.body;
  }

  measures() {
    return [...this.shape.measures.keys()];
  }

  private areas = (area: string) => (area === 'city' ? this.all : [area]);

  trends(phase: Phase, label: string, t: TrendsJson, step = 0) {
    for (const s of t.series)
      t.buckets.forEach((b, i) => {
        const from = shiftPeriod(b.start, t.bucket, 1 - t.rolling);
        this.c.cell(phase, `${label} ${s.area} ${b.label}`, this.areas(s.area), from, b.end, { kind: 'measure', measure: t.measure }, s.cells[i], step);
      });
  }

  async apiTrends(phase: Phase, query: Record<string, string | string[]>) {
    const params = new URLSearchParams({ survey: SURVEY });
    for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) params.append(k, x);
    const url = `/api/trends?${params}`;
    this.trends(phase, `GET ${url} →`, JSON.parse(await this.fetch(url)) as TrendsJson);
  }

  async impact(phase: Phase, eventId: number, weeks: number, measure: string) {
    const url = `/api/events/${eventId}/impact?weeks=${weeks}&measure=${measure}`;
    const impact = JSON.parse(await this.fetch(url)) as {
      event: { neighborhood: string | null };
      windows: Record<'before' | 'after', { from: string; to: string }>;
      area: Record<'before' | 'after', ShownCell>;
      comparison: Record<'before' | 'after', ShownCell> | null;
      weekly: TrendsJson;
    };
    const home = impact.event.neighborhood;
    const q: Quantity = { kind: 'measure', measure };
    for (const side of ['before', 'after'] as const) {
      const w = impact.windows[side];
      this.c.cell(phase, `GET ${url} → area ${side}`, home ? [home] : this.all, w.from, w.to, q, impact.area[side], 0);
      if (impact.comparison && home)
        this.c.cell(
          phase,
          `GET ${url} → comparison ${side}`,
          this.all.filter((a) => a !== home),
          w.from,
          w.to,
          q,
          impact.comparison[side],
          0,
        );
    }
    this.trends(phase, `GET ${url} → weekly`, impact.weekly);
  }

  /** One neighborhood's page: its trend data block, answer distributions and the demographic groups table. */
  async neighborhoodPage(phase: Phase, area: string, query: Record<string, string>) {
    const url = `/results/${area}?${new URLSearchParams({ survey: SURVEY, ...query })}`;
    const html = await this.fetch(url);
    const chart = jsonBlock<{ trends: TrendsJson }>(html, 'trend-chart-data');
    if (!chart) throw new Error(`${url}: no trend data block`);
    this.trends(phase, `GET ${url} → trend`, chart.trends);
    const range = chart.trends;
    for (const id of ['distribution-010-data', 'distribution-agree5-data']) {
      for (const d of jsonBlock<{ code: string; n: number | null; suppressed: boolean; points: { value: number; count: number }[] }[]>(html, id) ?? [])
        this.c.distribution(phase, `GET ${url} → distribution ${d.code} ${range.from}..${range.to}`, area, range.from, range.to, d.code, d);
    }
    // "What moved": each demographic group's measure in the previous and the latest period.
    const periods = /(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) compared with (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)/.exec(html);
    const table = /Groups of residents whose[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    const q: Quantity = { kind: 'measure', measure: range.measure };
    const shown = new Map<string, Set<string>>();
    for (const row of table.matchAll(/<tr><th scope="row">(.*?) <span class="hint">\((.*?)\)<\/span><\/th><td>([\s\S]*?)<\/td><td>([\s\S]*?)<\/td>/g)) {
      const [, label, prompt, previous, latest] = row.map(decode);
      const question = [...this.shape.choices].find(([, c]) => c.prompt === prompt);
      const option = question && [...question[1].options].find(([, l]) => l === label)?.[0];
      if (!periods || !question || !option) throw new Error(`${url}: cannot read group row ${label} (${prompt})`);
      const group = { question: question[0], option };
      this.c.cell(phase, `GET ${url} → group ${option} previous`, [area], periods[3], periods[4], q, htmlCell(previous), 0.1, group);
      this.c.cell(phase, `GET ${url} → group ${option} latest`, [area], periods[1], periods[2], q, htmlCell(latest), 0.1, group);
      for (const [side, cell, from, to] of [
        ['previous', previous, periods[3], periods[4]],
        ['latest', latest, periods[1], periods[2]],
      ])
        if (!htmlCell(cell).suppressed) {
          const key = `${group.question}|${side}|${from}|${to}`;
          shown.set(key, (shown.get(key) ?? new Set()).add(option));
        }
    }
    // The period's total minus a question's shown groups: those who skipped it (and any hidden groups).
    for (const [key, options] of shown) {
      const [question, side, from, to] = key.split('|');
      const rest = this.c.members(phase, [area], from, to, q, (r) => !options.has(r.choices.get(question) ?? ''));
      this.c.candidates.push({
        how: `total minus shown groups of ${question}: ${area} ${side} ${from}..${to} (${range.measure})`,
        measure: range.measure,
        records: rest.map((r) => r.key),
      });
    }
  }

  /** The aggregates CSV (staff or public): Chicago's columns with N_ per measure, means rounded to 2 decimals. */
  csv(phase: Phase, label: string, text: string, bucket: Period, rolling: number) {
    const rows = parse(text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    const columns: Record<string, string> = { safety: 'SAFETY', trust: 'TRUST', listening: 'T_LISTEN', respect: 'T_RESPECT' };
    for (const row of rows) {
      const area = row.AREA === 'CITYWIDE' ? 'city' : this.names.get(row.AREA);
      if (!area) throw new Error(`${label}: unknown area ${row.AREA}`);
      for (const measure of this.measures()) {
        const col = columns[measure] ?? measure.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
        if (!(col in row)) continue;
        const cell: ShownCell = row[col] === '' ? { n: null, mean: null, suppressed: true } : { n: Number(row[`N_${col}`]), mean: Number(row[col]) };
        const from = shiftPeriod(row.START_DATE, bucket, 1 - rolling);
        this.c.cell(phase, `${label} → ${row.AREA} ${row.START_DATE} ${col}`, this.areas(area), from, row.END_DATE, { kind: 'measure', measure }, cell, 0.01);
      }
    }
  }

  async resultsCsv(phase: Phase, bucket: Period, rolling: number, from: string, to: string) {
    const url = `/results/export.csv?${new URLSearchParams({ survey: SURVEY, bucket, rolling: String(rolling), from, to })}`;
    this.csv(phase, `GET ${url}`, await this.fetch(url), bucket, rolling);
  }

  async publicPages(phase: Phase) {
    for (const bucket of ['month', 'quarter'] as const) {
      const url = `/public/${SURVEY}?bucket=${bucket}&lang=en`;
      const html = await this.fetch(url);
      const chart = jsonBlock<{ trends: TrendsJson }>(html, 'public-trend-data');
      if (!chart) throw new Error(`${url}: no trend data block`);
      this.trends(phase, `GET ${url} →`, chart.trends);
      // Every dimension over the last twelve months, pooled: trust first, then the dimensions in question order.
      const order = ['trust', ...this.measures().filter((m) => m !== 'trust')];
      const from = shiftPeriod(periodStart(this.today, 'month'), 'month', -11);
      const to = periodEnd(this.today, 'month');
      const section = /aria-labelledby="dimensions-title"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
      for (const row of section.matchAll(/<tr><th scope="row">(.*?)<\/th>([\s\S]*?)<\/tr>/g)) {
        const area = this.names.get(decode(row[1])) ?? 'city';
        [...row[2].matchAll(/<td>([\s\S]*?)<\/td>/g)].forEach((td, i) =>
          this.c.cell(
            phase,
            `GET ${url} → 12 months ${area} ${order[i]}`,
            this.areas(area),
            from,
            to,
            { kind: 'measure', measure: order[i] },
            htmlCell(td[1]),
            0.1,
          ),
        );
      }
      const csvUrl = `/public/${SURVEY}/data.csv?bucket=${bucket}`;
      this.csv(phase, `GET ${csvUrl}`, await this.fetch(csvUrl), bucket, 1);
    }
  }
}

/** One line for a message: who, what was recovered, how precisely, and the first ways the collector named the group. */
export const describeLeak = (l: Leak) =>
  `${l.measure}: ${l.size} response(s) ${l.records.join(',')} — total recovered ${l.estimate.toFixed(1)} (true ${l.truth.toFixed(1)}), SD ${l.sd.toFixed(2)} — ` +
  `${l.names.slice(0, 3).join(' | ')}${l.names.length > 3 ? ` (+${l.names.length - 3} more)` : ''}`;

/**
 * Stores the sparse fixture in `app`, reads every figure a liaison and the public can obtain — before and after one
 * submission, an import and its void — and computes, per measure, the attacker's best estimate of the total score
 * of every group of 1–9 responses and its SD.
 */
export async function runDisclosureAttack({ app, mode, sigma, seed = 12 }: AttackOptions): Promise<AttackReport> {
  const today = dateIn(app.config.TIME_ZONE);
  const { north, south, first, random } = seedSparseCity(app, today, seed);
  app.database.sqlite.prepare('UPDATE surveys SET published = 1 WHERE slug = ?').run(SURVEY);
  const shape = surveyShape(app, SURVEY);
  const noise: Noise | null = mode === 'protected' ? (typeof sigma === 'number' ? { sum: sigma, count: sigma / 50 } : sigma) : null;
  const collector = new Collector(shape, noise, [north.slug, south.slug]);
  const names = new Map([
    [north.name, north.slug],
    [south.name, south.slug],
  ]);

  const sessions = await staffSessions(app);
  const token = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: sessions.liaisonJar.header() } })).body) ?? '';
  // Public pages are read without a session; staff routes as a liaison (GETs carry the CSRF token, as its links do).
  const get = (url: string) => app.inject({ url, headers: url.startsWith('/public') ? {} : { cookie: sessions.liaisonJar.header(), 'csrf-token': token } });
  const reader = new Reader(collector, shape, get, names, today);

  // An event in every week of the range, city-wide and in each neighborhood.
  const events = createEventQueries(app.database);
  const eventIds: number[] = [];
  for (let week = periodStart(first, 'week'); week <= today; week = shiftPeriod(week, 'week', 1))
    for (const neighborhoodId of [null, north.id, south.id])
      eventIds.push(
        events.create(
          {
            title: { en: `Event ${week}`, es: `Evento ${week}` },
            occurredOn: shiftPeriod(week, 'week', 0),
            kind: 'outreach',
            description: null,
            link: null,
            isPublic: true,
            neighborhoodId,
          },
          sessions.admin.id,
        ),
      );

  const snapshot = (name: string): Phase => {
    const { all, live } = readRecords(app, shape, SURVEY);
    return { name, live: [...all.values()].filter((r) => live.has(r.id)) };
  };
  const buckets: Period[] = ['week', 'month', 'quarter'];
  const measures = reader.measures();

  /** Everything once: every trend query the schema allows over the data, every event impact, every page and CSV. */
  async function readEverything(phase: Phase) {
    for (const bucket of buckets)
      for (const measure of measures) {
        for (let rolling = 1; rolling <= 12; rolling++) await reader.apiTrends(phase, { bucket, measure, rolling: String(rolling), from: first, to: today });
        // Ranges only choose which periods are returned; a few starts and ends check that nothing else moves.
        for (const start of periodsBetween(first, today, 'month')) {
          await reader.apiTrends(phase, { bucket, measure, from: start, to: today });
          await reader.apiTrends(phase, { bucket, measure, from: first, to: periodEnd(start, 'month') });
        }
        for (const selection of [[north.slug], [south.slug], [north.slug, south.slug]])
          await reader.apiTrends(phase, { bucket, measure, from: first, to: today, neighborhood: selection });
      }
    // Every event × window for trust; the other measures at the default window (each adds the same kind of figure).
    for (const id of eventIds)
      for (const weeks of [4, 8, 12]) for (const measure of weeks === 8 ? measures : ['trust']) await reader.impact(phase, id, weeks, measure);
    for (const area of [north.slug, south.slug])
      for (const bucket of buckets)
        for (const start of periodsBetween(first, today, bucket)) {
          const end = periodEnd(start, bucket);
          // Distributions cover the range: every single period and every prefix (differences give any interval).
          await reader.neighborhoodPage(phase, area, { bucket, from: start, to: end });
          await reader.neighborhoodPage(phase, area, { bucket, from: first, to: end });
          // The groups table compares the range's last two periods, per measure; a group of a week never reaches the
          // floor at this volume, so months and quarters carry them.
          if (bucket !== 'week')
            for (const measure of measures.filter((m) => m !== 'trust')) await reader.neighborhoodPage(phase, area, { bucket, measure, from: first, to: end });
        }
    for (const bucket of buckets) for (let rolling = 1; rolling <= 12; rolling++) await reader.resultsCsv(phase, bucket, rolling, first, today);
    await reader.publicPages(phase);
  }

  /** What a watcher re-reads after a change: the current trends, the latest pages, both CSVs. */
  async function readLatest(phase: Phase) {
    for (const bucket of buckets)
      for (const measure of measures)
        for (let rolling = 1; rolling <= (measure === 'trust' ? 12 : 1); rolling++)
          await reader.apiTrends(phase, { bucket, measure, rolling: String(rolling), from: first, to: today });
    for (const area of [north.slug, south.slug])
      for (const measure of measures) await reader.neighborhoodPage(phase, area, { measure, from: first, to: today });
    for (const bucket of buckets) await reader.resultsCsv(phase, bucket, 1, first, today);
    await reader.publicPages(phase);
  }

  await readEverything(snapshot('stored'));
  const before = new Set(snapshot('').live.map((r) => r.key));

  // Live differencing: one resident answers today; then an import of three paper responses; then it is voided.
  seedResponses(app, [{ neighborhoodId: north.id, submittedOn: today, answers: freshAnswers(random) }]);
  const afterOne = snapshot('after one submission');
  await readLatest(afterOne);
  const submitted = afterOne.live.filter((r) => !before.has(r.key)).map((r) => r.key);

  const codes = shape.items.map((i) => i.code);
  const csv = [
    ['submitted_on', 'neighborhood', 'channel', ...codes].join(','),
    ...[0, 1, 2].map(() => {
      const a = freshAnswers(random);
      return [today, south.slug, 'paper', ...codes.map((c) => (a[c] === undefined ? '' : String(a[c])))].join(',');
    }),
  ].join('\r\n');
  const page = await app.inject({ url: '/admin/import', headers: { cookie: sessions.adminJar.header() } });
  const body = multipart({ _csrf: csrfFrom(page.body) ?? '', survey: SURVEY }, { name: 'paper.csv', content: csv });
  const imported = await app.inject({
    method: 'POST',
    url: '/admin/import',
    headers: { cookie: sessions.adminJar.header(), 'content-type': body.contentType },
    payload: body.payload,
  });
  const batch = /batch=(\d+)/.exec(String(imported.headers.location))?.[1];
  if (imported.statusCode !== 303 || !batch) throw new Error(`import failed: ${imported.statusCode} ${imported.body.slice(0, 300)}`);
  const afterImport = snapshot('after an import');
  await readLatest(afterImport);
  const importedKeys = afterImport.live.filter((r) => !before.has(r.key) && !submitted.includes(r.key)).map((r) => r.key);
  const voided = await sessions.asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: 'entered twice' }, '/admin/responses');
  if (voided.statusCode !== 200) throw new Error(`void failed: ${voided.statusCode}`);
  await readLatest(snapshot('after voiding the import'));

  // Groups worth a direct look besides hidden cells: what changed between readings, those who skipped a demographic
  // question in a neighborhood-month, and the part of a week that falls in each of two months.
  const stored = snapshot('stored');
  for (const measure of measures) {
    collector.candidates.push({ how: 'live: the one new submission', measure, records: submitted });
    collector.candidates.push({ how: 'live: the imported (then voided) responses', measure, records: importedKeys });
    for (const area of collector.neighborhoods)
      for (const month of periodsBetween(first, today, 'month')) {
        const inMonth = stored.live.filter((r) => r.neighborhood === area && r.date.startsWith(month.slice(0, 7)) && scoreCombo(shape, r, measure));
        for (const question of shape.choices.keys()) {
          const skipped = inMonth.filter((r) => !r.choices.has(question)).map((r) => r.key);
          collector.candidates.push({ how: `skipped ${question}: ${area} ${month.slice(0, 7)}`, measure, records: skipped });
        }
        for (const week of periodsBetween(month, periodEnd(month, 'month'), 'week')) {
          if (periodEnd(week, 'week').slice(0, 7) === week.slice(0, 7)) continue;
          const part = inMonth.filter((r) => periodStart(r.date, 'week') === week).map((r) => r.key);
          collector.candidates.push({ how: `week/month misalignment: ${area} week of ${week} within ${month.slice(0, 7)}`, measure, records: part });
        }
      }
  }

  // One candidate per (measure, records), under the first name it was found by.
  const named = new Map<string, (typeof collector.candidates)[number]>();
  for (const c of collector.candidates) {
    const key = `${c.measure}|${[...c.records].sort().join(',')}`;
    if (!named.has(key)) named.set(key, c);
  }
  const candidates = [...named.values()];
  const aliases = new Map<string, string[]>();
  for (const c of collector.candidates) {
    const key = `${c.measure}|${[...c.records].sort().join(',')}`;
    aliases.set(key, [...(aliases.get(key) ?? []), c.how]);
  }
  const posterior = solve(collector.figures, () => weak);
  const { all } = readRecords(app, shape, SURVEY);
  const perMeasure = measures.map((measure) => {
    const targets = [...all.values()].flatMap((r) => {
      const combo = scoreCombo(shape, r, measure);
      return combo ? [{ record: r.key, combo, truth: scoreTruth(shape, r, measure)! }] : [];
    });
    const analysis = analyseGroups(posterior, targets, { bound: BOUND, candidates: candidates.filter((c) => c.measure === measure) });
    const leak = (g: GroupFinding): Leak => ({
      ...g,
      measure,
      size: g.records.length,
      names: aliases.get(`${measure}|${[...g.records].sort().join(',')}`) ?? [g.how],
    });
    return {
      measure,
      records: targets.length,
      provenByEigenvalue: analysis.provenByEigenvalue,
      worst: leak(analysis.worst),
      under: analysis.under.map(leak),
      candidates: analysis.candidates.map(leak),
    };
  });
  const leaks = perMeasure.flatMap((m) => m.under).sort((a, b) => a.sd - b.sd);
  const found = perMeasure.flatMap((m) => m.candidates).sort((a, b) => a.sd - b.sd);
  const worst = [...perMeasure].sort((a, b) => a.worst.sd - b.worst.sd)[0].worst;
  const line = describeLeak;
  return {
    mode,
    requests: collector.requests,
    figures: collector.figures.length,
    mismatches: collector.mismatches,
    inconsistencies: posterior.inconsistencies.map((i) => `${i.label}: off by ${i.residual}`),
    nonAtomFigures: [...collector.nonAtom],
    perMeasure: perMeasure.map((m) => ({ measure: m.measure, records: m.records, provenByEigenvalue: m.provenByEigenvalue, worst: m.worst })),
    worst,
    leaks,
    candidates: found,
    describe: (limit = 12) => [`worst: ${line(worst)}`, ...leaks.slice(0, limit).map(line)].join('\n'),
  };
}
