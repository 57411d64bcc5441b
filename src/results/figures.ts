import type { Neighborhood, Question } from '../db/schema.js';
import { storeTask, type FigureRange, type Store } from '../db/store.js';
import { EARLIEST_DAY } from '../dates.js';
import { computeImpact, impactMonths, type ImpactInput } from '../events/impact.js';
import { needsMonths, outreachNeeds } from '../outreach/needs.js';
import type { ReleaseRules } from '../stats/cells.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import { createThemeRepository } from '../themes/queries.js';
import { aggregatesCsv } from './export.js';
import type { MeasureOption } from './filters.js';
import { latestChanges, neighborhoodDetail } from './neighborhood.js';
import { openingMonths, openingView } from './opening-view.js';
import { createResultsRepository, type ResultsRepository } from './queries.js';
import { spanning } from './sums.js';
import { CITY, computeTrends, trendMonths, type TrendRequest } from './trends.js';

// The figures staff and the public ask for, computed where their sums are read (Store.task): on SQLite the read
// worker's thread, so that no page's statistics hold a resident's submission on the event loop.

const repositories = new WeakMap<Store, ResultsRepository>();
const resultsOf = (store: Store) => {
  let results = repositories.get(store);
  if (!results) repositories.set(store, (results = createResultsRepository(store)));
  return results;
};

interface Figures {
  request: TrendRequest;
  rules: ReleaseRules;
}

/** One measure's trends, for the JSON API. */
export const trendsTask = storeTask(import.meta.url, 'trendsTask', async (store, { request, rules }: Figures) =>
  computeTrends(await resultsOf(store).monthSums(request.survey.id, [request.measure], trendMonths(request), request), rules, request),
);

/**
 * The results page: its trends and latest changes, at the finest rolling window in which every active neighborhood has
 * a figure when no window was asked for (`opening`).
 */
export const cityPageTask = storeTask(
  import.meta.url,
  'cityPageTask',
  async (store, { request, rules, choosingOpening, active }: Figures & { choosingOpening: boolean; active: ReadonlySet<string> }) => {
    const sums = await resultsOf(store).cityPageSums(request, choosingOpening);
    const opening = choosingOpening ? openingView(sums, rules, request, active) : null;
    const shown = opening ? { ...request, rolling: opening.rolling } : request;
    return { opening, trends: computeTrends(sums, rules, shown), changes: latestChanges(sums, rules, shown) };
  },
);

/**
 * A neighborhood's trends and detail (groups, answers, issues): the same view asked again is not computed again until
 * a write changes a day it may count (any, up to its last).
 */
export const neighborhoodTask = storeTask(
  import.meta.url,
  'neighborhoodTask',
  async (
    store,
    { request, rules, neighborhood, questions, measures }: Figures & { neighborhood: Neighborhood; questions: Question[]; measures: MeasureOption[] },
  ) => {
    const results = resultsOf(store);
    const survey = request.survey.id;
    const key = [neighborhood.id, survey, request.measure, request.bucket, request.from, request.to, request.latest, request.rolling, request.weighted];
    return results.computed(
      `neighborhood:${[...key, request.sample, rules.perturb, rules.unsafeSampleParts === true].join(':')}`,
      async () => {
        const sums = await results.neighborhoodSums(
          request,
          neighborhood.id,
          measures.map((m) => m.value),
        );
        const themes = await createThemeRepository(store).definitions(survey);
        return {
          trends: computeTrends(sums.months, rules, request),
          detail: neighborhoodDetail(sums, rules, request, neighborhood, questions, measures, themes),
        };
      },
      { survey, from: EARLIEST_DAY, to: request.latest },
    );
  },
);

/** The aggregates CSV's records: every measure's trends and the Chicago splits. */
export const aggregatesTask = storeTask(
  import.meta.url,
  'aggregatesTask',
  async (store, { request, rules, measures, questions }: Figures & { measures: MeasureOption[]; questions: Question[] }) => {
    const sums = await resultsOf(store).aggregateSums(
      request,
      measures.map((m) => m.value),
      questions,
    );
    return aggregatesCsv(sums, rules, request, measures, questions);
  },
);

/**
 * Events' impacts on one measure, their sums read once (their histories overlap); each kept until a write changes the
 * months it reads (the event and its settings are in the key, or their writes empty every figure).
 */
export const impactsTask = storeTask(import.meta.url, 'impactsTask', async (store, { inputs, rules }: { inputs: ImpactInput[]; rules: ReleaseRules }) => {
  if (inputs.length === 0) return [];
  const results = resultsOf(store);
  const ranges = inputs.map((input) => impactMonths(input));
  const [{ survey, measure }] = inputs;
  let sums: ReturnType<ResultsRepository['monthSums']> | undefined;
  const read = () => (sums ??= results.monthSums(survey.id, [measure], spanning(...ranges), inputs[0]));
  return Promise.all(
    inputs.map((input, i) => {
      const key = [input.event.id, measure, input.months, input.latest, input.weighted, input.sample, rules.perturb, rules.unsafeSampleParts === true];
      const over: FigureRange = { survey: survey.id, ...ranges[i] };
      return results.computed(`impact:${key.join(':')}`, async () => computeImpact(await read(), rules, input), over);
    }),
  );
});

/**
 * What a public page shows for one bucket: trust at a rolling window (for months, unless asked, the finest in which
 * every active neighborhood has a figure), how many responses its single periods count, and each measure's latest
 * pooled twelve months per area. Computed once per change of the data (the request's `latest` is in the key).
 */
export const publicPageTask = storeTask(
  import.meta.url,
  'publicPageTask',
  async (
    store,
    { request, rules, measures, rolling, active }: Figures & { measures: readonly string[]; rolling: number | undefined; active: ReadonlySet<string> },
  ) => {
    const results = resultsOf(store);
    const survey = request.survey.id;
    const over: FigureRange = { survey, from: EARLIEST_DAY, to: request.latest };
    // Not the bucket: the pooled months and the opening window are the same for months and quarters.
    const key = `public:${survey}:${request.latest}:${request.weighted}:${rules.perturb}`;
    const trends = (measure: string, bucket = request.bucket, window = 1) =>
      results.computed(
        `${key}:${measure}:${bucket}:${window}`,
        async () => {
          const shown = { ...request, measure, bucket, rolling: window };
          return computeTrends(await results.monthSums(survey, [measure], trendMonths(shown), shown), rules, shown);
        },
        over,
      );
    const opening = () =>
      results.computed(
        `${key}:opening`,
        async () => {
          const monthly = { ...request, bucket: 'month' as const, rolling: 1 };
          return openingView(await results.monthSums(survey, [request.measure], openingMonths(monthly), monthly), rules, monthly, active).rolling;
        },
        over,
      );
    const shownRolling = rolling ?? (request.bucket === 'month' ? await opening() : 1);
    const [trust, single, pooled] = await Promise.all([
      trends(request.measure, request.bucket, shownRolling),
      trends(request.measure),
      Promise.all(measures.map((measure) => trends(measure, 'month', 12))),
    ]);
    return {
      rolling: shownRolling,
      trust,
      // Rolling windows overlap: each response is counted once, from single periods.
      counted: single.series.find((s) => s.area === CITY)!.cells.reduce((sum, c) => sum + (c.n ?? 0), 0),
      dimensions: pooled[0].series.map((s, i) => ({ area: s.area, name: s.name, cells: pooled.map((t) => t.series[i].cells.at(-1)!) })),
    };
  },
);

/** How many more responses each active neighborhood needs for a figure: the outreach page's list. */
export const outreachNeedsTask = storeTask(
  import.meta.url,
  'outreachNeedsTask',
  async (store, { survey, rules, neighborhoods, today }: { survey: number; rules: ReleaseRules; neighborhoods: Neighborhood[]; today: string }) =>
    outreachNeeds(await resultsOf(store).monthSums(survey, [TRUST_MEASURE], needsMonths(today)), rules, { neighborhoods, today }),
);

/** Each survey's grid of month sums (measures, months, neighborhoods): what the read-ahead reads (src/results/read-ahead.ts). */
export const gridsTask = storeTask(import.meta.url, 'gridsTask', async (store) => resultsOf(store).grids());

/** Some months of a survey's grid read into the figures' cache, as a page would read them; nothing comes back. */
export const readAheadTask = storeTask(
  import.meta.url,
  'readAheadTask',
  async (store, { survey, measures, from, to, weighted }: { survey: number; measures: string[]; from: string; to: string; weighted: boolean }) => {
    await resultsOf(store).monthSums(survey, measures, { from, to }, { weighted });
    return null;
  },
);
