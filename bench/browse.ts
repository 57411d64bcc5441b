import Database from 'better-sqlite3';

import { createRandom } from '../src/demo/random.js';
import { bucketEnd, bucketKinds, monthsIn, shiftBucket, type BucketKind } from '../src/stats/buckets.js';
import type { GeneratedDatabase } from './generate.js';
import { percentile } from './http.js';
import { BENCH_LAST_DAY, cityOf, firstDayOf, type BenchShape } from './shapes.js';

const SURVEY = 'community-trust';

/** The reads a request's figures come from, run directly in SQL for the baseline (see sqlBaseline). */
export type BaselineRead =
  | { kind: 'sums'; measures: string[]; from: string; to: string; bucket: BucketKind; weighted: boolean }
  | { kind: 'neighborhood'; neighborhood: string; from: string; to: string }
  | { kind: 'broughtIn'; event: number };

export interface BrowseRequest {
  route: string;
  /** Path and query, never the same twice in a run. */
  path: string;
  staff: boolean;
  reads: BaselineRead[];
}

export const staffRoutes = ['GET /results/:neighborhood', 'GET /results', 'GET /api/trends', 'GET /events/:id', 'GET /api/events/:id/impact'] as const;
export const publicRoutes = ['GET /public/:survey', 'GET /public/:survey/data.json'] as const;

const query = (params: Record<string, string | string[] | undefined>) => {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const v of [value ?? []].flat()) q.append(key, v);
  return q.toString();
};

/**
 * Staff and public requests varying neighborhoods, buckets, measures, ranges, windows, weighting and events, each URL
 * at most once (so no warm cache of the figures flatters a route): `next(route)` is undefined once a route has no new
 * combination left.
 */
export function createBrowser(shape: BenchShape, generated: Pick<GeneratedDatabase, 'measures' | 'events'>, seed = 5) {
  const random = createRandom(seed);
  const city = cityOf(shape).map((n) => n.slug);
  const months: string[] = [];
  for (let m = firstDayOf(shape); m <= BENCH_LAST_DAY; m = shiftBucket(m, 'month', 1)) months.push(m);
  const seen = new Set<string>();
  const weighting = () => random.pick(['weighted', 'unweighted'] as const);
  // A range of whole months anywhere in the data, from 3 months to all of it.
  const range = () => {
    const length = 3 + Math.floor(random.next() * (months.length - 2));
    const start = Math.floor(random.next() * (months.length - length + 1));
    return { from: months[start], to: bucketEnd(months[start + length - 1], 'month') };
  };
  // The months a rolling window of `rolling` months reaches back before `from`.
  const reach = (from: string, rolling: number) => shiftBucket(from, 'month', -(rolling - 1));
  const subset = () => {
    const count = random.pick([1, 2, 3, 5, 10]);
    return [...new Set(Array.from({ length: Math.min(count, city.length) }, () => random.pick(city)))];
  };
  const make: Record<string, () => BrowseRequest> = {
    'GET /results/:neighborhood': () => {
      const neighborhood = random.pick(city);
      const { from, to } = range();
      const [bucket, rolling, measure, w] = [random.pick(bucketKinds), random.pick([1, 3, 6, 12]), random.pick(generated.measures), weighting()];
      return {
        route: 'GET /results/:neighborhood',
        path: `/results/${neighborhood}?${query({ survey: SURVEY, from, to, bucket, rolling: String(rolling), measure, weighting: w })}`,
        staff: true,
        reads: [
          { kind: 'sums', measures: generated.measures, from: reach(from, rolling), to, bucket: 'month', weighted: w === 'weighted' },
          { kind: 'neighborhood', neighborhood, from, to },
        ],
      };
    },
    'GET /results': () => {
      const { from, to } = range();
      const [bucket, rolling, measure, w] = [random.pick(bucketKinds), random.pick([1, 3, 6, 12]), random.pick(generated.measures), weighting()];
      const neighborhood = random.next() < 0.5 ? [] : subset();
      return {
        route: 'GET /results',
        path: `/results?${query({ survey: SURVEY, from, to, bucket, rolling: String(rolling), measure, weighting: w, neighborhood })}`,
        staff: true,
        reads: [{ kind: 'sums', measures: [measure], from: reach(from, rolling), to, bucket, weighted: w === 'weighted' }],
      };
    },
    'GET /api/trends': () => {
      const { from, to } = range();
      const [bucket, rolling, measure, w] = [random.pick(bucketKinds), random.pick([1, 3, 6, 12]), random.pick(generated.measures), weighting()];
      const neighborhood = random.next() < 0.3 ? [] : subset();
      return {
        route: 'GET /api/trends',
        path: `/api/trends?${query({ survey: SURVEY, from, to, bucket, rolling: String(rolling), measure, weighting: w, neighborhood })}`,
        staff: true,
        reads: [{ kind: 'sums', measures: [measure], from: reach(from, rolling), to, bucket, weighted: w === 'weighted' }],
      };
    },
    ...Object.fromEntries(
      (['GET /events/:id', 'GET /api/events/:id/impact'] as const).map((route) => [
        route,
        (): BrowseRequest => {
          const event = random.pick(generated.events);
          const [months, measure, w] = [random.pick([1, 3, 6]), random.pick(generated.measures), weighting()];
          const month = `${event.occurredOn.slice(0, 7)}-01`;
          const window = { from: shiftBucket(month, 'month', -months), to: bucketEnd(shiftBucket(month, 'month', months), 'month') };
          const reads: BaselineRead[] = [{ kind: 'sums', measures: [measure], ...window, bucket: 'month', weighted: w === 'weighted' }];
          if (route === 'GET /events/:id') reads.push({ kind: 'broughtIn', event: event.id });
          const q = query({ survey: SURVEY, months: String(months), measure, weighting: w });
          return { route, path: route === 'GET /events/:id' ? `/events/${event.id}?${q}` : `/api/events/${event.id}/impact?${q}`, staff: true, reads };
        },
      ]),
    ),
    ...Object.fromEntries(
      publicRoutes.map((route) => [
        route,
        (): BrowseRequest => {
          const [bucket, rolling, lang, w] = [
            random.pick(['month', 'quarter']),
            random.pick(['', '1', '3', '6', '12']),
            random.pick(['en', 'es']),
            weighting(),
          ];
          const neighborhood = random.next() < 0.2 ? undefined : random.pick(city);
          const q = query({ bucket, rolling: rolling || undefined, lang, weighting: w, neighborhood });
          // The public figures: every measure per neighborhood over the public windows (the last 24 months at most).
          const from = months[Math.max(0, months.length - 24)];
          return {
            route,
            path: route === 'GET /public/:survey' ? `/public/${SURVEY}?${q}` : `/public/${SURVEY}/data.json?${q}`,
            staff: false,
            reads: [{ kind: 'sums', measures: generated.measures, from, to: BENCH_LAST_DAY, bucket: 'month', weighted: w === 'weighted' }],
          };
        },
      ]),
    ),
  };
  const exhausted = new Set<string>();
  return {
    next(route: string): BrowseRequest | undefined {
      if (exhausted.has(route)) return undefined;
      for (let attempt = 0; attempt < 200; attempt++) {
        const request = make[route]();
        if (seen.has(request.path)) continue;
        seen.add(request.path);
        return request;
      }
      exhausted.add(route);
      return undefined;
    },
    /** Whether a route has no new combination left. */
    done: (route: string) => exhausted.has(route),
    /** How many distinct URLs were handed out. */
    get count() {
      return seen.size;
    },
  };
}

export type Browser = ReturnType<typeof createBrowser>;

/** A bucket's key in SQL, from a YYYY-MM-DD column: the year and the bucket's number within it. */
const bucketOf = (column: string, bucket: BucketKind) =>
  bucket === 'month' ? `substr(${column}, 1, 7)` : `substr(${column}, 1, 4) || '-' || ((CAST(substr(${column}, 6, 2) AS INTEGER) - 1) / ${monthsIn[bucket]})`;

/**
 * The same aggregation as a route's, run directly with better-sqlite3 on the same file: the bucketed sums of
 * monthly_rollups per neighborhood (and their weighted sums), a neighborhood's choice groups, answer distributions
 * and texts over its window from group_rollups, answer_rollups and text_rollups, an event's responses by channel. What is left is the route's own work (statistics, release rules, rendering).
 */
export function sqlBaseline(path: string, requests: readonly BrowseRequest[]): Map<string, { count: number; p50: number; p95: number }> {
  const db = new Database(path, { readonly: true });
  try {
    const survey = (db.prepare('SELECT id FROM surveys WHERE slug = ?').get(SURVEY) as { id: number }).id;
    const neighborhoodId = new Map((db.prepare('SELECT id, slug FROM neighborhoods').all() as { id: number; slug: string }[]).map((n) => [n.slug, n.id]));
    const statements = new Map<string, Database.Statement>();
    const prepared = (text: string) => {
      let statement = statements.get(text);
      if (!statement) statements.set(text, (statement = db.prepare(text)));
      return statement;
    };
    const run = (read: BaselineRead) => {
      if (read.kind === 'sums') {
        const marks = read.measures.map(() => '?').join(', ');
        prepared(
          `SELECT measure, ${bucketOf('month', read.bucket)} AS bucket, neighborhood_id, sum(n), sum(sum), sum(sum_squares), sum(key_sum)
           FROM monthly_rollups WHERE survey_id = ? AND measure IN (${marks}) AND month BETWEEN ? AND ? GROUP BY 1, 2, 3`,
        ).all(survey, ...read.measures, read.from, read.to);
        if (read.weighted)
          prepared(
            `SELECT measure, ${bucketOf('month', read.bucket)} AS bucket, neighborhood_id, sum(n), sum(sum_w), sum(sum_w2), sum(sum_wy), sum(sum_wy2),
                    sum(sum_w2y), sum(sum_w2y2), max(max_w)
             FROM weighted_rollups WHERE survey_id = ? AND measure IN (${marks}) AND month BETWEEN ? AND ? GROUP BY 1, 2, 3`,
          ).all(survey, ...read.measures, read.from, read.to);
      } else if (read.kind === 'neighborhood') {
        const n = neighborhoodId.get(read.neighborhood);
        const within = 'survey_id = ? AND neighborhood_id = ? AND month BETWEEN ? AND ?';
        const [from, to] = [read.from.slice(0, 7) + '-01', read.to];
        prepared(
          `SELECT g.measure, q.code, g.value, g.month, g.n, g.sum, g.sum_squares, g.key_sum
           FROM group_rollups g JOIN questions q ON q.id = g.question_id
           WHERE g.survey_id = ? AND g.measure = 'trust' AND g.neighborhood_id = ? AND g.month BETWEEN ? AND ?`,
        ).all(survey, n, from, to);
        prepared(`SELECT question_id, month, value, n, key_sum FROM answer_rollups WHERE ${within}`).all(survey, n, from, to);
        prepared(
          `SELECT text, month, n, key_sum FROM text_rollups
           WHERE ${within.replace('month', "question_id IN (SELECT id FROM questions WHERE survey_id = ? AND code = 'top_issue' AND kind = 'text') AND month")}`,
        ).all(survey, n, survey, from, to);
      } else prepared('SELECT channel, count(*) FROM responses WHERE event_id = ? AND NOT voided GROUP BY channel').all(read.event);
    };
    // Statements prepared and pages read once first, as a running server's would be.
    for (const request of new Map(requests.map((r) => [r.route, r])).values()) for (const read of request.reads) run(read);
    const times = new Map<string, number[]>();
    for (const request of requests) {
      const started = performance.now();
      for (const read of request.reads) run(read);
      const list = times.get(request.route) ?? [];
      list.push(performance.now() - started);
      times.set(request.route, list);
    }
    return new Map(
      [...times].map(([route, list]) => {
        list.sort((a, b) => a - b);
        return [route, { count: list.length, p50: percentile(list, 0.5), p95: percentile(list, 0.95) }];
      }),
    );
  } finally {
    db.close();
  }
}
