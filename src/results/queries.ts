import { asc, sql } from 'drizzle-orm';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import type { FigureRange, Store } from '../db/store.js';
import { bucketEnd, bucketsBetween, shiftBucket, snapRange } from '../stats/buckets.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { KeyedSums, WeightedAtom } from '../stats/perturbation.js';
import { splitsNeed } from './chicago-groups.js';
import { groupRange, latestChangeMonths, shownRange, TOP_ISSUE_CODE } from './neighborhood.js';
import { openingMonths, openingWindows } from './opening-view.js';
import {
  spanning,
  type AggregateSums,
  type DayRange,
  type DistributionRow,
  type GroupRow,
  type IssueRow,
  type MonthRow,
  type MonthSums,
  type NeighborhoodSums,
  type SampleCountRow,
} from './sums.js';
import { trendMonths, type TrendRequest } from './trends.js';
import type { SampleKind } from './filters.js';

// How much of each kind the figures' cache keeps (their memory, not their number, is what matters): month cells by their
// rows, one per neighborhood with responses (a survey's whole grid at 300 neighborhoods, 8 measures × 72 months weighted
// and not, is 345,600 rows, ~70 MB); a month without responses costs next to nothing, so the months a long rolling
// window reaches back before the first response never push out those with figures. A computed view (a page's figures)
// or a sample's sums are larger and rarely asked twice.
const KEEP_MONTH_ROWS = 400_000;
const KEEP_COMPUTED = 100;
const KEEP_SAMPLE_SUMS = 50;

/** Month cells waiting to be read together: what they span, and who waits for each ("measure|month"). */
interface CellBatch {
  measures: Set<string>;
  months: Set<string>;
  waiting: Map<string, { resolve: (rows: MonthRow[]) => void; reject: (err: unknown) => void }[]>;
}

/**
 * The sums results are computed from, one query per kind of sum (every measure and neighborhood at once), each row a
 * base cell of the release grid (neighborhood × month) with the sum of its records' cell keys, read from the rollups
 * kept at that cell (the invitation sample's from its few responses). Voided responses are never counted (rollups never hold them).
 */
export function createResultsRepository(store: Store) {
  const { surveys, neighborhoods } = store.tables;
  const monthOf = (column: string) => store.sql.monthOf(sql.raw(column));
  const liveResponses = (survey: number, range: DayRange) =>
    sql`r.survey_id = ${survey} AND NOT r.voided AND r.submitted_on BETWEEN ${range.from} AND ${range.to}`;

  async function loadMonthSums(survey: number, measures: readonly string[], range: DayRange, weighted: boolean): Promise<MonthSums> {
    const where = sql`m.survey_id = ${survey} AND m.measure IN ${measures} AND m.month BETWEEN ${range.from} AND ${range.to}`;
    const columns = sql`m.measure AS "measure", m.month AS "month", m.neighborhood_id AS "neighborhoodId", m.n AS "n", m.sum AS "sum",
                        m.sum_squares AS "sumSquares", m.key_sum AS "keySum"`;
    if (!weighted)
      return { measures, ...range, rows: await store.aggregate<MonthRow>(sql`SELECT ${columns} FROM monthly_rollups m WHERE ${where}`), sample: 'all' };
    // Each atom's weighted sums joined in SQL (on the same key), not matched up in JavaScript.
    const rows = await store.aggregate<MonthRow & { wN: number | null } & { [K in keyof WeightedAtom as `w${Capitalize<K & string>}`]: number }>(
      sql`SELECT ${columns}, w.n AS "wN", w.sum_w AS "wSumW", w.sum_w2 AS "wSumW2", w.sum_wy AS "wSumWY", w.sum_wy2 AS "wSumWY2",
                 w.sum_w2y AS "wSumW2Y", w.sum_w2y2 AS "wSumW2Y2", w.max_w AS "wMaxW"
          FROM monthly_rollups m
          LEFT JOIN weighted_rollups w ON w.survey_id = m.survey_id AND w.measure = m.measure AND w.month = m.month AND w.neighborhood_id = m.neighborhood_id
          WHERE ${where}`,
    );
    return {
      measures,
      ...range,
      sample: 'all',
      // An atom whose weights do not yet count every one of its responses (a write since the last weighting) has none.
      rows: rows.map((r) => ({
        measure: r.measure,
        month: r.month,
        neighborhoodId: r.neighborhoodId,
        n: r.n,
        sum: r.sum,
        sumSquares: r.sumSquares,
        keySum: r.keySum,
        weighted:
          r.wN === r.n
            ? { n: r.wN, sumW: r.wSumW, sumW2: r.wSumW2, sumWY: r.wSumWY, sumWY2: r.wSumWY2, sumW2Y: r.wSumW2Y, sumW2Y2: r.wSumW2Y2, maxW: r.wMaxW }
            : null,
      })),
    };
  }

  /**
   * Live responses `r` in a range that came through an invitation of one of the survey's mailings: a mailing brings
   * hundreds of responses, not millions. Found through responses_mailing and read by id: as `r.id IN (…)` SQLite's
   * planner stays off the survey's date indexes (every response of the range), which with ANALYZE statistics it
   * skip-scans even past `survey_id + 0`.
   */
  const invitedIn = (survey: number, range: DayRange) =>
    sql`r.id IN (SELECT i.id FROM responses i WHERE i.mailing_id IN (SELECT m.id FROM mailings m WHERE m.survey_id = ${survey}))
      AND r.survey_id = ${survey} AND NOT r.voided AND r.submitted_on BETWEEN ${range.from} AND ${range.to}`;

  /**
   * The invitation sample's sums, shaped like the rollups' (measure × neighborhood × month, with the records' cell keys),
   * read from responses and their scores.
   */
  function invitationMonthRows(survey: number, measures: readonly string[], range: DayRange): Promise<MonthRow[]> {
    const month = monthOf('r.submitted_on');
    return store.aggregate<MonthRow>(
      sql`SELECT s.measure AS "measure", ${month} AS "month", r.neighborhood_id AS "neighborhoodId",
                 count(*) AS "n", sum(s.score) AS "sum", sum(s.score * s.score) AS "sumSquares", sum(r.cell_key) AS "keySum"
          FROM responses r
          JOIN response_scores s ON s.response_id = r.id AND s.measure IN ${measures}
          WHERE ${invitedIn(survey, range)}
          GROUP BY s.measure, ${month}, r.neighborhood_id`,
    );
  }

  /** A sample's month sums: the invitations' own, or all responses' minus theirs (every sum is additive, cell keys too). */
  async function loadSampleSums(survey: number, measures: readonly string[], range: DayRange, sample: Exclude<SampleKind, 'all'>): Promise<MonthSums> {
    const [all, invitations] = await Promise.all([monthSums(survey, measures, range), invitationMonthRows(survey, measures, range)]);
    const key = (r: MonthRow) => `${r.measure}|${r.month}|${r.neighborhoodId}`;
    const rows: MonthRow[] = [];
    if (sample === 'invitation') {
      const total = new Map(all.rows.map((r) => [key(r), r.n]));
      for (const r of invitations) rows.push({ ...r, complement: (total.get(key(r)) ?? r.n) - r.n });
    } else {
      const invitation = new Map(invitations.map((r) => [key(r), r]));
      const none = { n: 0, sum: 0, sumSquares: 0, keySum: 0 };
      for (const r of all.rows) {
        const i = invitation.get(key(r)) ?? none;
        if (r.n > i.n)
          rows.push({
            measure: r.measure,
            month: r.month,
            neighborhoodId: r.neighborhoodId,
            n: r.n - i.n,
            sum: r.sum - i.sum,
            sumSquares: r.sumSquares - i.sumSquares,
            keySum: r.keySum - i.keySum,
            complement: i.n,
          });
      }
    }
    return { measures, ...range, rows, sample };
  }

  // Month cells asked for in the same turn of the event loop, per survey and weighting: read together in one query.
  const pendingCells = new Map<string, CellBatch>();

  /** One measure's rows in one month (every neighborhood), read with the other cells asked for in the same turn. */
  function readMonthCell(survey: number, measure: string, month: string, weighted: boolean): Promise<MonthRow[]> {
    const batchKey = `${survey}:${weighted}`;
    let batch = pendingCells.get(batchKey);
    if (!batch) {
      const created: CellBatch = { measures: new Set(), months: new Set(), waiting: new Map() };
      pendingCells.set(batchKey, (batch = created));
      setImmediate(() => {
        pendingCells.delete(batchKey);
        void loadCells(survey, weighted, created);
      });
    }
    batch.measures.add(measure);
    batch.months.add(month);
    const key = `${measure}|${month}`;
    const callers = batch.waiting.get(key) ?? [];
    batch.waiting.set(key, callers);
    return new Promise((resolve, reject) => callers.push({ resolve, reject }));
  }

  async function loadCells(survey: number, weighted: boolean, batch: CellBatch) {
    const months = [...batch.months].sort();
    // Each run of consecutive months on its own: the months between two runs are cached already (or a page asks for
    // the months around today's, say, and a long history's in one turn).
    const runs: DayRange[] = [];
    for (const month of months) {
      const last = runs.at(-1);
      if (last && shiftBucket(last.to, 'month', 1) === month) last.to = month;
      else runs.push({ from: month, to: month });
    }
    try {
      const measures = [...batch.measures].sort();
      const rows: MonthRow[] = [];
      for (const run of runs)
        for (const row of (await loadMonthSums(survey, measures, { from: run.from, to: bucketEnd(run.to, 'month') }, weighted)).rows) rows.push(row);
      const byCell = new Map<string, MonthRow[]>();
      const names = new Map([...batch.measures, ...months].map((name) => [name, name]));
      for (const row of rows) {
        const key = `${row.measure}|${row.month}`;
        // The batch's own strings, not one copy per row (the rows are this read's own): a cached grid holds hundreds of
        // thousands of rows.
        row.measure = names.get(row.measure) ?? row.measure;
        row.month = names.get(row.month) ?? row.month;
        const cell = byCell.get(key);
        if (cell) cell.push(row);
        else byCell.set(key, [row]);
      }
      for (const [key, callers] of batch.waiting) for (const caller of callers) caller.resolve(byCell.get(key) ?? []);
    } catch (err) {
      for (const callers of batch.waiting.values()) for (const caller of callers) caller.reject(err);
    }
  }

  /**
   * Rollup sums of some measures per neighborhood × month over the whole months holding `range`, with their
   * census-weighted sums when `weighted`. Each measure's month is cached on its own, so a view of any range is put
   * together from months already read, and a resident's submission empties only its own month.
   */
  async function monthSums(
    survey: number,
    measures: readonly string[],
    range: DayRange,
    { weighted = false, sample = 'all' }: { weighted?: boolean; sample?: SampleKind } = {},
  ): Promise<MonthSums> {
    const months = snapRange(range.from, range.to, 'month');
    const sorted = [...new Set(measures)].sort();
    if (sorted.length === 0) return { measures: sorted, ...months, rows: [], sample };
    if (sample !== 'all')
      return store.cached(
        'figures',
        `months:${survey}:${sorted.join(',')}:${months.from}:${months.to}:${sample}`,
        () => loadSampleSums(survey, sorted, months, sample),
        { over: { survey, ...months }, keep: KEEP_SAMPLE_SUMS },
      );
    const keys = bucketsBetween(months.from, months.to, 'month').flatMap((month) => sorted.map((measure) => ({ measure, month })));
    const cells = await Promise.all(
      keys.map(({ measure, month }) =>
        store.cached('figures', `month:${survey}:${measure}:${month}:${weighted}`, () => readMonthCell(survey, measure, month, weighted), {
          over: { survey, from: month, to: bucketEnd(month, 'month') },
          keep: KEEP_MONTH_ROWS,
          size: (rows) => rows.length,
        }),
      ),
    );
    return {
      measures: sorted,
      ...months,
      rows: cells.flat(),
      sample: 'all',
      cells: new Map(keys.map(({ measure, month }, i) => [`${measure}|${month}`, cells[i]])),
    };
  }

  /**
   * A sample's rows from the rollup's (every live response) and the invitation sample's, read raw: the invitations'
   * own, or the rollup's minus theirs, cell by cell (every sum is additive, cell keys too); a cell left with nobody goes.
   */
  async function sampleRows<R extends { n: number }>(
    sample: SampleKind,
    all: () => Promise<R[]>,
    invitations: () => Promise<R[]>,
    key: (row: R) => string,
    minus: (row: R, invited: R) => R,
  ): Promise<R[]> {
    if (sample === 'all') return all();
    if (sample === 'invitation') return invitations();
    const [rows, invited] = await Promise.all([all(), invitations()]);
    const byKey = new Map(invited.map((r) => [key(r), r]));
    return rows.flatMap((r) => {
      const i = byKey.get(key(r));
      return !i ? [r] : r.n > i.n ? [minus(r, i)] : [];
    });
  }
  const withoutKeyed = <R extends KeyedSums>(r: R, i: KeyedSums): R => ({
    ...r,
    n: r.n - i.n,
    sum: r.sum - i.sum,
    sumSquares: r.sumSquares - i.sumSquares,
    keySum: r.keySum - i.keySum,
  });
  const withoutCounted = <R extends { n: number; keySum: number }>(r: R, i: R): R => ({ ...r, n: r.n - i.n, keySum: r.keySum - i.keySum });

  /**
   * Sums of some measures per choice answer and month, in every neighborhood or one, over the whole months holding
   * `range`: group_rollups (the whole sample), or for the invitation sample the raw responses of its mailings.
   */
  function groupRows(survey: number, measures: readonly string[], range: DayRange, neighborhood?: number, sample: SampleKind = 'all'): Promise<GroupRow[]> {
    if (measures.length === 0) return Promise.resolve([]);
    const months = snapRange(range.from, range.to, 'month');
    const month = monthOf('r.submitted_on');
    // Every neighborhood's id named: each is a range of the key (survey, measure, neighborhood, month …), not a scan of all months.
    const where = neighborhood === undefined ? sql`g.neighborhood_id IN (SELECT id FROM neighborhoods)` : sql`g.neighborhood_id = ${neighborhood}`;
    return sampleRows<GroupRow>(
      sample,
      () =>
        store.aggregate<GroupRow>(
          sql`SELECT g.measure AS "measure", g.neighborhood_id AS "neighborhoodId", q.code AS "question", g.value AS "value", g.month AS "month",
                     g.n AS "n", g.sum AS "sum", g.sum_squares AS "sumSquares", g.key_sum AS "keySum"
              FROM group_rollups g JOIN questions q ON q.id = g.question_id
              WHERE g.survey_id = ${survey} AND g.measure IN ${measures} AND ${where} AND g.month BETWEEN ${months.from} AND ${months.to}
              ORDER BY g.measure, g.neighborhood_id, q.code, g.value, g.month`,
        ),
      () =>
        store.aggregate<GroupRow>(
          sql`SELECT s.measure AS "measure", r.neighborhood_id AS "neighborhoodId", q.code AS "question", a.value_text AS "value", ${month} AS "month",
                     count(*) AS "n", sum(s.score) AS "sum", sum(s.score * s.score) AS "sumSquares", sum(r.cell_key) AS "keySum"
              FROM responses r
              JOIN response_scores s ON s.response_id = r.id AND s.measure IN ${measures}
              JOIN answers a ON a.response_id = r.id AND a.value_text IS NOT NULL
              JOIN questions q ON q.id = a.question_id AND q.kind = 'choice'
              WHERE ${invitedIn(survey, months)}${neighborhood === undefined ? sql`` : sql` AND r.neighborhood_id = ${neighborhood}`}
              GROUP BY s.measure, r.neighborhood_id, q.code, a.value_text, ${month}
              ORDER BY s.measure, r.neighborhood_id, q.code, a.value_text, ${month}`,
        ),
      (r) => `${r.measure}|${r.neighborhoodId}|${r.question}|${r.month}|${r.value}`,
      withoutKeyed,
    );
  }

  /** Scale answers per question, point and month in one neighborhood, over the whole months holding `range`. */
  function distributionRows(survey: number, neighborhood: number, range: DayRange, sample: SampleKind): Promise<DistributionRow[]> {
    const months = snapRange(range.from, range.to, 'month');
    const month = monthOf('r.submitted_on');
    return sampleRows<DistributionRow>(
      sample,
      () =>
        store.aggregate<DistributionRow>(
          sql`SELECT question_id AS "questionId", month AS "month", value AS "value", n AS "n", key_sum AS "keySum"
              FROM answer_rollups
              WHERE survey_id = ${survey} AND neighborhood_id = ${neighborhood} AND month BETWEEN ${months.from} AND ${months.to}`,
        ),
      () =>
        store.aggregate<DistributionRow>(
          sql`SELECT a.question_id AS "questionId", ${month} AS "month", a.value_number AS "value", count(*) AS "n", sum(r.cell_key) AS "keySum"
              FROM responses r
              JOIN answers a ON a.response_id = r.id AND a.value_number IS NOT NULL
              JOIN questions q ON q.id = a.question_id AND q.kind = 'scale'
              WHERE ${invitedIn(survey, months)} AND r.neighborhood_id = ${neighborhood}
              GROUP BY a.question_id, ${month}, a.value_number`,
        ),
      (r) => `${r.questionId}|${r.month}|${r.value}`,
      withoutCounted,
    );
  }

  /**
   * Texts answering one question per month in one neighborhood, over the whole months holding `range`: identical
   * answers (lower(trim(text))) are grouped, so only distinct texts reach the counter.
   */
  function issueRows(survey: number, neighborhood: number, range: DayRange, code: string, sample: SampleKind): Promise<IssueRow[]> {
    const months = snapRange(range.from, range.to, 'month');
    const month = monthOf('r.submitted_on');
    return sampleRows<IssueRow>(
      sample,
      () =>
        store.aggregate<IssueRow>(
          sql`SELECT t.text AS "text", t.month AS "month", t.n AS "n", t.key_sum AS "keySum"
              FROM text_rollups t
              WHERE t.survey_id = ${survey} AND t.neighborhood_id = ${neighborhood}
                AND t.question_id IN (SELECT q.id FROM questions q WHERE q.survey_id = ${survey} AND q.code = ${code} AND q.kind = 'text')
                AND t.month BETWEEN ${months.from} AND ${months.to}`,
        ),
      () =>
        store.aggregate<IssueRow>(
          sql`SELECT lower(trim(a.value_text)) AS "text", ${month} AS "month", count(*) AS "n", sum(r.cell_key) AS "keySum"
              FROM responses r
              JOIN answers a ON a.response_id = r.id AND a.value_text IS NOT NULL
              JOIN questions q ON q.id = a.question_id AND q.code = ${code} AND q.kind = 'text'
              WHERE ${invitedIn(survey, months)} AND r.neighborhood_id = ${neighborhood}
              GROUP BY lower(trim(a.value_text)), ${month}`,
        ),
      (r) => `${r.month}|${r.text}`,
      withoutCounted,
    );
  }

  /** A neighborhood's live responses per month and how many of them came through an invitation (the complementary rule's counts). */
  function sampleCounts(survey: number, neighborhood: number, range: DayRange): Promise<SampleCountRow[]> {
    const month = monthOf('r.submitted_on');
    return store.aggregate<SampleCountRow>(
      sql`SELECT ${month} AS "month", count(*) AS "n", count(r.mailing_id) AS "invitation"
          FROM responses r
          WHERE ${liveResponses(survey, range)} AND r.neighborhood_id = ${neighborhood}
          GROUP BY ${month}`,
    );
  }

  return {
    monthSums,
    /** What the results page counts: the opening view when it is chosen, and the trends and latest changes at any window it may choose. */
    cityPageSums(request: TrendRequest, choosingOpening: boolean): Promise<MonthSums> {
      const views = choosingOpening ? openingWindows.map((rolling) => ({ ...request, rolling })) : [request];
      const ranges = views.flatMap((view) => [trendMonths(view), latestChangeMonths(view)]);
      return monthSums(request.survey.id, [request.measure], spanning(...ranges, ...(choosingOpening ? [openingMonths(request)] : [])), request);
    },
    /** Everything a neighborhood's page counts, for its trends and its detail: one query per kind of sum. */
    async neighborhoodSums(request: TrendRequest, neighborhood: number, measures: readonly string[]): Promise<NeighborhoodSums> {
      const survey = request.survey.id;
      const shown = shownRange(request);
      const { sample } = request;
      const [months, groups, distributions, issues, counts] = await Promise.all([
        monthSums(survey, [request.measure, ...measures], spanning(trendMonths(request), latestChangeMonths(request), groupRange(request)), request),
        groupRows(survey, [request.measure], groupRange(request), neighborhood, sample),
        distributionRows(survey, neighborhood, shown, sample),
        issueRows(survey, neighborhood, shown, TOP_ISSUE_CODE, sample),
        sample === 'all' ? [] : sampleCounts(survey, neighborhood, spanning(shown, groupRange(request))),
      ]);
      return { months, groups, distributions, issues, counts };
    },
    /** Each survey's grid: per measure, its first and last month with responses and how many neighborhoods have any. */
    grids: () =>
      store.aggregate<{ survey: number; measure: string; first: string; last: string; neighborhoods: number }>(
        sql`SELECT survey_id AS "survey", measure AS "measure", min(month) AS "first", max(month) AS "last", count(DISTINCT neighborhood_id) AS "neighborhoods"
            FROM monthly_rollups GROUP BY survey_id, measure ORDER BY survey_id, measure`,
      ),
    /** Trust's sums per choice answer, month and neighborhood: the sample's make-up the weighting page compares with the census. */
    sampleGroups: (survey: number, range: DayRange): Promise<GroupRow[]> => groupRows(survey, [TRUST_MEASURE], range),
    /** Everything the aggregates CSV counts: every measure's trends and the Chicago splits. */
    async aggregateSums(request: TrendRequest, measures: readonly string[], questions: readonly Question[]): Promise<AggregateSums> {
      const splits = splitsNeed(request, questions);
      const [months, groups] = await Promise.all([
        monthSums(request.survey.id, [...measures, ...splits.measures], trendMonths(request), request),
        groupRows(request.survey.id, splits.measures, splits.range, undefined, request.sample),
      ]);
      return { months, groups };
    },
    /**
     * A value computed from figures (the public page's: the same for every visitor), kept until a write changes
     * figures (`over` the days it is built from, when given). Shared between requests: read-only.
     */
    computed: <T>(key: string, compute: () => Promise<T>, over?: FigureRange): Promise<T> =>
      store.cached('figures', `computed:${key}`, compute, { over, keep: KEEP_COMPUTED }),
    /** Every survey, first created first (a shared, read-only list). */
    surveys: (): Promise<readonly Pick<Survey, 'id' | 'slug' | 'title'>[]> =>
      store.cached('settings', 'results:surveys', () =>
        store.read((db) => db.select({ id: surveys.id, slug: surveys.slug, title: surveys.title }).from(surveys).orderBy(asc(surveys.id))),
      ),
    /** Every neighborhood, retired ones too, by name (a shared, read-only list). */
    neighborhoods: (): Promise<readonly Neighborhood[]> =>
      store.cached('settings', 'results:neighborhoods', () => store.read((db) => db.select().from(neighborhoods).orderBy(asc(neighborhoods.name)))),
  };
}

export type ResultsRepository = ReturnType<typeof createResultsRepository>;
