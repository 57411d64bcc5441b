/**
 * The disclosure attack (issue 12): a liaison (and the public) reads every figure the routes release, each figure is
 * written as a linear combination of per-record unknowns (`collector.ts`), and the linear-Gaussian attacker
 * (`engine.ts`) computes how precisely the total score of any group of 1–9 responses can be estimated.
 *
 * Release rules attacked: one grid (neighborhood × calendar month; buckets month|quarter|half|year, rolling 1–12),
 * complete months only (up to the end of last month), a shown mean = noisy sum / noisy n with the noisy n shown (so
 * n × mean is the noisy sum), city figures = the sum of the neighborhoods' atoms, event impact in whole months.
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
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { CONFIRM_FIELD } from '../../../src/admin/confirm.js';
import { dateIn } from '../../../src/dates.js';
import { multipart, seedResponses, staffSessions } from '../admin.js';
import { csrfFrom } from '../app.js';
import { Collector, type Noise, type Phase, type Quantity, type ShownCell } from './collector.js';
import { analyseGroups, solve, type GroupFinding } from './engine.js';
import { freshAnswers, seedSparseCity, sparseCityMargins } from './fixture.js';
import { lastCompleteMonthEnd, periodEnd, periodsBetween, periodStart, shiftPeriod, type Period } from './periods.js';
import { readRecords, readReleasedSumW, readWeights, scoreCombo, scoreTruth, surveyShape, type SurveyShape } from './records.js';

const SURVEY = 'community-trust';
/** Chicago's demographic splits as docs/method.md maps them onto our options (written out again, not imported). */
const chicagoGroups = [
  { column: 'AGE_LOW', question: 'age_band', options: ['18_24', '25_34'] },
  { column: 'AGE_MEDIUM', question: 'age_band', options: ['35_44', '45_54', '55_64'] },
  { column: 'AGE_HIGH', question: 'age_band', options: ['65_plus'] },
  { column: 'SEX_FEMALE', question: 'gender', options: ['woman'] },
  { column: 'SEX_MALE', question: 'gender', options: ['man'] },
  { column: 'RACE_AFRICAN_AMERICAN', question: 'race_ethnicity', options: ['black'] },
  { column: 'RACE_ASIAN', question: 'race_ethnicity', options: ['asian'] },
  { column: 'RACE_HISPANIC', question: 'race_ethnicity', options: ['hispanic'] },
  { column: 'RACE_WHITE', question: 'race_ethnicity', options: ['white'] },
  { column: 'RACE_OTHER', question: 'race_ethnicity', options: ['native', 'other'] },
];
/** Measures the CSV splits by group (TRUST_<group> is Chicago's TRUST, a nonlinear mean of item means: left out). */
const splitMeasures = ['safety', 'listening', 'respect'];
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
  /**
   * Census weighting (issue 17): margins for the sparse city, weighed after every write, and every read weighted (the
   * default with margins) — and with "pairs" everything read a second time with `weighting=unweighted`.
   */
  weighting?: 'weighted' | 'pairs';
  /**
   * "core" reads, for the first phase, what spans the atoms — month trends of every measure at rolling 1–12, event
   * impact at 3 months, the monthly neighborhood pages, the month CSVs and the public pages — rather than every query
   * (the other buckets, ranges and event windows are unions of the same atoms); after each live step, month trends
   * (trust at rolling 1–12, the rest at 1), the trust pages, the month CSV and the default public page.
   * "routes" (the negative control) reads as "all" does, but the range, neighborhood-selection and groups-table variants
   * for trust and safety only, a two-item index and a single item: the reader maps them the same way whatever the
   * measure, so two check its mapping of every route and parameter. The rest added no figure: 1,056 distinct figures
   * from 1,210 requests instead of 1,714 (2026-12-02).
   */
  reads?: 'all' | 'core' | 'routes';
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
  /** Distinct census-weighted means among `figures` (0 without `weighting`). */
  weightedFigures: number;
  /** With `weighting`: the largest weight over its neighborhood-month's mean weight, as first stored. */
  largestWeightRatio: number;
  /** Figures that are not unions of whole atoms (protected mode keeps them exact). */
  nonAtomFigures: string[];
  /** Figures a submission today moved (liaisons and the public see complete months only: none should). */
  liveMoves: string[];
  /** Figures the import backdated into the last complete month moved. */
  importMoves: string[];
  /** Figures that did not return to their stored values once the import was voided. */
  voidMoves: string[];
  perMeasure: { measure: string; records: number; provenByEigenvalue: boolean; worst: Leak }[];
  worst: Leak;
  /** Groups of 1–9 whose total's SD is under the bound, worst first (several per measure). */
  leaks: Leak[];
  /** Every named candidate group (hidden cells, live changes, skipped questions, totals minus shown groups) with its SD. */
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
  /** Liaisons and the public see complete months only: a figure labelled to a later day ends here. */
  readonly latest: string;
  /** Query parameters every read carries (`weighting=unweighted`), so they are in every figure's label too. */
  extra: Record<string, string> = {};
  /** Whether pages and CSVs read now show census-weighted means (JSON cells say so themselves; group splits never are). */
  weighted = false;
  constructor(
    private readonly c: Collector,
    private readonly shape: SurveyShape,
    private readonly get: (url: string) => Promise<{ statusCode: number; body: string }>,
    private readonly names: Map<string, string>,
    today: string,
  ) {
    this.all = [...c.neighborhoods];
    this.latest = lastCompleteMonthEnd(today);
  }

  /** A figure labelled to `to` counts months up to the one holding the request's last day, and never past `latest`. */
  private cap = (to: string, requested = this.latest) => [to, periodEnd(requested, 'month'), this.latest].sort()[0];

  /** What each phase has read: the same request in the same phase shows the same figures (same records, same noise). */
  private readonly read = new WeakMap<Phase, Set<string>>();

  /** The body of `url`, or null when this phase has read it already (its figures are in the collector). */
  private async fetch(phase: Phase, url: string): Promise<string | null> {
    const read = this.read.get(phase) ?? this.read.set(phase, new Set()).get(phase)!;
    if (read.has(url)) return null;
    read.add(url);
    this.c.requests++;
    const res = await this.get(url);
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
    return res.body;
  }

  measures() {
    return [...this.shape.measures.keys()];
  }

  private with = (url: string) => (Object.keys(this.extra).length > 0 ? `${url}&${new URLSearchParams(this.extra)}` : url);

  private areas = (area: string) => (area === 'city' ? this.all : [area]);

  trends(phase: Phase, label: string, t: TrendsJson, requested?: string, step = 0) {
    for (const s of t.series)
      t.buckets.forEach((b, i) => {
        const from = shiftPeriod(b.start, t.bucket, 1 - t.rolling);
        this.c.cell(
          phase,
          `${label} ${s.area} ${b.label}`,
          this.areas(s.area),
          from,
          this.cap(b.end, requested),
          { kind: 'measure', measure: t.measure },
          s.cells[i],
          step,
        );
      });
  }

  async apiTrends(phase: Phase, query: Record<string, string | string[]>) {
    const params = new URLSearchParams({ survey: SURVEY });
    for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) params.append(k, x);
    const url = this.with(`/api/trends?${params}`);
    const body = await this.fetch(phase, url);
    if (body !== null) this.trends(phase, `GET ${url} →`, JSON.parse(body) as TrendsJson, [query.to].flat()[0]);
  }

  async impact(phase: Phase, eventId: number, months: number, measure: string) {
    const url = this.with(`/api/events/${eventId}/impact?months=${months}&measure=${measure}`);
    const body = await this.fetch(phase, url);
    if (body === null) return;
    const impact = JSON.parse(body) as {
      event: { neighborhood: string | null };
      windows: Record<'before' | 'after', { from: string; to: string }>;
      area: Record<'before' | 'after', ShownCell>;
      comparison: Record<'before' | 'after', ShownCell> | null;
      monthly: TrendsJson;
    };
    const home = impact.event.neighborhood;
    const q: Quantity = { kind: 'measure', measure };
    for (const side of ['before', 'after'] as const) {
      const w = { from: impact.windows[side].from, to: this.cap(impact.windows[side].to) };
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
    this.trends(phase, `GET ${url} → monthly`, impact.monthly);
  }

  /** One neighborhood's page: its trend data block, answer distributions and the demographic groups table. */
  async neighborhoodPage(phase: Phase, area: string, query: Record<string, string>) {
    const url = this.with(`/results/${area}?${new URLSearchParams({ survey: SURVEY, ...query })}`);
    const html = await this.fetch(phase, url);
    if (html === null) return;
    const chart = jsonBlock<{ trends: TrendsJson }>(html, 'trend-chart-data');
    if (!chart) throw new Error(`${url}: no trend data block`);
    this.trends(phase, `GET ${url} → trend`, chart.trends, query.to);
    const range = chart.trends;
    for (const id of ['distribution-010-data', 'distribution-agree5-data']) {
      for (const d of jsonBlock<{ code: string; n: number | null; suppressed: boolean; points: { value: number; count: number | null }[] }[]>(html, id) ?? [])
        this.c.distribution(phase, `GET ${url} → distribution ${d.code} ${range.from}..${range.to}`, area, range.from, this.cap(range.to, query.to), d.code, d);
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
      const group = { question: question[0], options: [option] };
      this.c.cell(phase, `GET ${url} → group ${option} previous`, [area], periods[3], this.cap(periods[4], query.to), q, htmlCell(previous), 0.1, group);
      this.c.cell(phase, `GET ${url} → group ${option} latest`, [area], periods[1], this.cap(periods[2], query.to), q, htmlCell(latest), 0.1, group);
      for (const [side, cell, from, to] of [
        ['previous', previous, periods[3], this.cap(periods[4], query.to)],
        ['latest', latest, periods[1], this.cap(periods[2], query.to)],
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

  /**
   * The aggregates CSV (staff or public): Chicago's columns with N_ per measure (our trust index is TRUST_INDEX),
   * means rounded to 2 decimals, START_DATE the first day of a rolling window. Chicago's TRUST (the mean of two item
   * means) is not linear in the records and is left out; each demographic split (T_RESPECT_AGE_LOW …) is a union of
   * our options, i.e. of their group atoms.
   */
  csv(phase: Phase, label: string, text: string, requested?: string) {
    const rows = parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { columns: true });
    const columns: Record<string, string> = { safety: 'SAFETY', trust: 'TRUST_INDEX', listening: 'T_LISTEN', respect: 'T_RESPECT' };
    const column = (measure: string) => columns[measure] ?? measure.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    const shownCell = (row: Record<string, string>, col: string): ShownCell =>
      row[col] === ''
        ? { n: row[`N_${col}`] ? Number(row[`N_${col}`]) : null, mean: null, suppressed: true }
        : { n: Number(row[`N_${col}`]), mean: Number(row[col]) };
    for (const row of rows) {
      const area = row.AREA === 'CITYWIDE' ? 'city' : this.names.get(row.AREA);
      if (!area) throw new Error(`${label}: unknown area ${row.AREA}`);
      const to = this.cap(row.END_DATE, requested);
      const record = (measure: string, col: string, group?: { question: string; options: readonly string[] }) => {
        if (!(col in row)) throw new Error(`${label}: no column ${col}`);
        this.c.cell(
          phase,
          `${label} → ${row.AREA} ${row.START_DATE} ${col}`,
          this.areas(area),
          row.START_DATE,
          to,
          { kind: 'measure', measure },
          { ...shownCell(row, col), weighted: this.weighted },
          0.01,
          group,
        );
      };
      for (const measure of this.measures()) record(measure, column(measure));
      for (const measure of splitMeasures.filter((m) => this.shape.measures.has(m)))
        for (const g of chicagoGroups) record(measure, `${column(measure)}_${g.column}`, { question: g.question, options: g.options });
    }
  }

  async resultsCsv(phase: Phase, bucket: Period, rolling: number, from: string, to: string) {
    const url = this.with(`/results/export.csv?${new URLSearchParams({ survey: SURVEY, bucket, rolling: String(rolling), from, to })}`);
    const text = await this.fetch(phase, url);
    if (text !== null) this.csv(phase, `GET ${url}`, text, to);
  }

  /** The public page and its open data, by month (its default rolling window and each one offered) and by quarter. */
  async publicPages(phase: Phase, defaultOnly = false) {
    const windows = [
      ['month', ''],
      ['month', '1'],
      ['month', '3'],
      ['month', '6'],
      ['month', '12'],
      ['quarter', ''],
    ] as const;
    for (const [bucket, rolling] of defaultOnly ? windows.slice(0, 1) : windows) {
      const query = `bucket=${bucket}${rolling ? `&rolling=${rolling}` : ''}`;
      const url = this.with(`/public/${SURVEY}?${query}&lang=en`);
      const html = await this.fetch(phase, url);
      if (html !== null) this.publicPage(phase, url, html);
      const csvUrl = this.with(`/public/${SURVEY}/data.csv?${query}`);
      const csv = await this.fetch(phase, csvUrl);
      if (csv !== null) this.csv(phase, `GET ${csvUrl}`, csv);
    }
  }

  private publicPage(phase: Phase, url: string, html: string) {
    const chart = jsonBlock<{ trends: TrendsJson }>(html, 'public-trend-data');
    if (!chart) throw new Error(`${url}: no trend data block`);
    this.trends(phase, `GET ${url} →`, chart.trends);
    // Every dimension over the last twelve complete months, pooled: trust first, then the dimensions in question order.
    const order = ['trust', ...this.measures().filter((m) => m !== 'trust')];
    const from = shiftPeriod(periodStart(this.latest, 'month'), 'month', -11);
    const section = /aria-labelledby="dimensions-title"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    for (const row of section.matchAll(/<tr><th scope="row">(.*?)<\/th>([\s\S]*?)<\/tr>/g)) {
      const area = this.names.get(decode(row[1])) ?? 'city';
      [...row[2].matchAll(/<td>([\s\S]*?)<\/td>/g)].forEach((td, i) =>
        this.c.cell(
          phase,
          `GET ${url} → 12 months ${area} ${order[i]}`,
          this.areas(area),
          from,
          this.latest,
          { kind: 'measure', measure: order[i] },
          { ...htmlCell(td[1]), weighted: this.weighted },
          0.1,
        ),
      );
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
export async function runDisclosureAttack({ app, mode, sigma, seed = 12, weighting, reads = 'all' }: AttackOptions): Promise<AttackReport> {
  const today = dateIn(app.config.TIME_ZONE);
  const { north, south, first, random } = await seedSparseCity(app, today, seed);
  const { surveys } = app.store.tables;
  await app.store.transaction((tx) => tx.update(surveys).set({ published: true }).where(eq(surveys.slug, SURVEY)));
  const shape = await surveyShape(app, SURVEY);
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
  if (weighting) {
    const survey = (await app.surveys.findWithQuestions(SURVEY))!.survey;
    await app.margins.replace(sessions.admin.id, survey.id, [...sparseCityMargins(north.id), ...sparseCityMargins(south.id, 1.4)], 'form');
  }
  /** What the server does every WEIGHTING_INTERVAL seconds (0 in tests): weigh the months a write touched. */
  const weigh = async () => {
    if (weighting) await app.weighting.runStale();
  };
  await weigh();
  // Each read once as the default shows it (weighted where there are margins), and with "pairs" once unweighted too.
  const readings: { extra: Record<string, string>; weighted: boolean }[] = [
    { extra: {}, weighted: weighting !== undefined },
    ...(weighting === 'pairs' ? [{ extra: { weighting: 'unweighted' }, weighted: false }] : []),
  ];
  const eachWeighting = async (read: () => Promise<void>) => {
    for (const r of readings) {
      reader.extra = r.extra;
      reader.weighted = r.weighted;
      await read();
    }
  };

  // An event in the middle of every month of the range, city-wide and in each neighborhood.
  const eventIds: number[] = [];
  const latest = reader.latest;
  for (const month of periodsBetween(first, today, 'month'))
    for (const neighborhoodId of [null, north.id, south.id])
      eventIds.push(
        await app.events.create(
          {
            title: { en: `Event ${month}`, es: `Evento ${month}` },
            occurredOn: `${month.slice(0, 8)}15`,
            kind: 'outreach',
            description: null,
            link: null,
            isPublic: true,
            neighborhoodId,
          },
          sessions.admin.id,
        ),
      );

  const snapshot = async (name: string): Promise<Phase> => {
    const { all, live } = await readRecords(app, shape, SURVEY);
    const records = [...all.values()].filter((r) => live.has(r.id));
    if (!weighting || mode !== 'protected') return { name, live: records, weights: weighting && (await readWeights(app, SURVEY)) };
    const dates = records.map((r) => r.date).sort();
    const releasedSumW = await readReleasedSumW(app, SURVEY, [...shape.measures.keys()], dates[0], dates[dates.length - 1]);
    return { name, live: records, weights: await readWeights(app, SURVEY), releasedSumW };
  };
  const buckets: Period[] = ['month', 'quarter', 'half', 'year'];
  const measures = reader.measures();
  /** The measures "all" reads every variant of (see `reads`). */
  const varied = reads === 'routes' ? measures.filter((m) => m === 'trust' || m === 'safety') : measures;

  /** Everything once: every trend query the schema allows over the data, every event impact, every page and CSV. */
  async function readEverything(phase: Phase) {
    for (const bucket of buckets)
      for (const measure of measures) {
        for (let rolling = 1; rolling <= 12; rolling++) await reader.apiTrends(phase, { bucket, measure, rolling: String(rolling), from: first, to: today });
        if (!varied.includes(measure)) continue;
        // Ranges only choose which periods are returned (a bucket still filling holds its months up to the range's end).
        for (const start of periodsBetween(first, latest, 'month')) {
          await reader.apiTrends(phase, { bucket, measure, from: start, to: today });
          await reader.apiTrends(phase, { bucket, measure, from: first, to: periodEnd(start, 'month') });
        }
        for (const selection of [[north.slug], [south.slug], [north.slug, south.slug]])
          await reader.apiTrends(phase, { bucket, measure, from: first, to: today, neighborhood: selection });
      }
    // Every event × window for trust; the other measures at the default window (each adds the same kind of figure).
    for (const id of eventIds)
      for (const months of [1, 3, 6]) for (const measure of months === 3 ? measures : ['trust']) await reader.impact(phase, id, months, measure);
    for (const area of [north.slug, south.slug])
      for (const bucket of buckets)
        for (const start of periodsBetween(first, latest, bucket)) {
          const end = periodEnd(start, bucket);
          // Distributions cover the range: every single period and every prefix (differences give any interval).
          await reader.neighborhoodPage(phase, area, { bucket, from: start, to: end });
          await reader.neighborhoodPage(phase, area, { bucket, from: first, to: end });
          // The groups table compares the range's last two periods, per measure.
          for (const measure of varied.filter((m) => m !== 'trust')) await reader.neighborhoodPage(phase, area, { bucket, measure, from: first, to: end });
        }
    for (const bucket of buckets) for (let rolling = 1; rolling <= 12; rolling++) await reader.resultsCsv(phase, bucket, rolling, first, today);
    await reader.publicPages(phase);
  }

  /** The core of `readEverything` (see `reads`). */
  async function readCore(phase: Phase) {
    for (const measure of measures)
      for (let rolling = 1; rolling <= 12; rolling++)
        await reader.apiTrends(phase, { bucket: 'month', measure, rolling: String(rolling), from: first, to: today });
    for (const id of eventIds) await reader.impact(phase, id, 3, 'trust');
    for (const area of [north.slug, south.slug])
      for (const start of periodsBetween(first, latest, 'month')) {
        await reader.neighborhoodPage(phase, area, { bucket: 'month', from: start, to: periodEnd(start, 'month') });
        await reader.neighborhoodPage(phase, area, { bucket: 'month', from: first, to: periodEnd(start, 'month') });
      }
    for (const rolling of [1, 3, 6, 12]) await reader.resultsCsv(phase, 'month', rolling, first, today);
    await reader.publicPages(phase);
  }

  /** What a watcher re-reads after a change: the current trends, the latest pages, both CSVs. */
  async function readLatest(phase: Phase) {
    if (reads === 'core') {
      for (const measure of measures)
        for (let rolling = 1; rolling <= (measure === 'trust' ? 12 : 1); rolling++)
          await reader.apiTrends(phase, { bucket: 'month', measure, rolling: String(rolling), from: first, to: today });
      for (const area of [north.slug, south.slug]) await reader.neighborhoodPage(phase, area, { bucket: 'month', from: first, to: today });
      await reader.resultsCsv(phase, 'month', 1, first, today);
      return reader.publicPages(phase, true);
    }
    for (const bucket of buckets)
      for (const measure of measures)
        for (let rolling = 1; rolling <= (measure === 'trust' ? 12 : 1); rolling++)
          await reader.apiTrends(phase, { bucket, measure, rolling: String(rolling), from: first, to: today });
    for (const area of [north.slug, south.slug])
      for (const bucket of buckets)
        for (const measure of bucket === 'month' ? measures : ['trust'])
          await reader.neighborhoodPage(phase, area, { bucket, measure, from: first, to: today });
    for (const bucket of buckets) await reader.resultsCsv(phase, bucket, 1, first, today);
    await reader.publicPages(phase);
  }

  const stored = await snapshot('stored');
  if (stored.weights) collector.weightUnit = [...stored.weights.values()].reduce((a, w) => a + w, 0) / stored.weights.size;
  await eachWeighting(() => (reads === 'core' ? readCore(stored) : readEverything(stored)));
  await eachWeighting(() => readLatest(stored));
  const before = new Set(stored.live.map((r) => r.key));

  // Live differencing: one resident answers today (a month liaisons do not see yet); then an import of three paper
  // responses backdated into the last complete month; then it is voided.
  await seedResponses(app, [{ neighborhoodId: north.id, submittedOn: today, answers: freshAnswers(random) }]);
  await weigh();
  const afterOne = await snapshot('after one submission');
  await eachWeighting(() => readLatest(afterOne));
  const submitted = afterOne.live.filter((r) => !before.has(r.key)).map((r) => r.key);

  const codes = shape.items.map((i) => i.code);
  const csv = [
    ['submitted_on', 'neighborhood', 'channel', ...codes].join(','),
    ...[0, 1, 2].map(() => {
      const a = freshAnswers(random);
      return [latest, south.slug, 'paper', ...codes.map((c) => (a[c] === undefined ? '' : String(a[c])))].join(',');
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
  await weigh();
  const afterImport = await snapshot('after an import');
  await eachWeighting(() => readLatest(afterImport));
  const importedKeys = afterImport.live.filter((r) => !before.has(r.key) && !submitted.includes(r.key)).map((r) => r.key);
  const voided = await sessions.asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: 'entered twice', [CONFIRM_FIELD]: 'yes' }, '/admin/responses');
  if (voided.statusCode !== 303) throw new Error(`void failed: ${voided.statusCode}`);
  await weigh();
  const afterVoid = await snapshot('after voiding the import');
  await eachWeighting(() => readLatest(afterVoid));
  if (weighting) {
    // A revised census for North Park: every month of it is weighed again, the same responses with new weights.
    const survey = (await app.surveys.findWithQuestions(SURVEY))!.survey;
    await app.margins.replace(sessions.admin.id, survey.id, sparseCityMargins(north.id, 1.1), 'form');
    await weigh();
    const revised = await snapshot('after the census margins were revised');
    await eachWeighting(() => readLatest(revised));
  }

  // Groups worth a direct look besides hidden cells: what changed between readings and those who skipped a
  // demographic question in a neighborhood-month.
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
  const { all } = await readRecords(app, shape, SURVEY);
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
    weightedFigures: collector.weightedFigures,
    largestWeightRatio: Math.max(
      0,
      ...[...new Set(stored.live.map((r) => `${r.neighborhood}|${r.date.slice(0, 7)}`))].map((atom) => {
        const ws = stored.live.filter((r) => `${r.neighborhood}|${r.date.slice(0, 7)}` === atom).flatMap((r) => stored.weights?.get(r.key) ?? []);
        return ws.length > 0 ? Math.max(...ws) / (ws.reduce((a, w) => a + w, 0) / ws.length) : 0;
      }),
    ),
    mismatches: collector.mismatches,
    inconsistencies: posterior.inconsistencies.map((i) => `${i.label}: off by ${i.residual}`),
    nonAtomFigures: [...collector.nonAtom],
    liveMoves: collector.moved('stored', 'after one submission'),
    importMoves: collector.moved('after one submission', 'after an import'),
    voidMoves: collector.moved('stored', 'after voiding the import'),
    perMeasure: perMeasure.map((m) => ({ measure: m.measure, records: m.records, provenByEigenvalue: m.provenByEigenvalue, worst: m.worst })),
    worst,
    leaks,
    candidates: found,
    describe: (limit = 12) => [`worst: ${line(worst)}`, ...leaks.slice(0, limit).map(line)].join('\n'),
  };
}
