import { createBrowser, publicRoutes, sqlBaseline, staffRoutes, type Browser, type BrowseRequest } from './browse.js';
import { submissionBodies } from './forms.js';
import type { GeneratedDatabase } from './generate.js';
import { countLines, percentile } from './http.js';
import { sampleRss, type EventLoopDelay, type RunningServer } from './processes.js';
import { cityOf, type BenchShape } from './shapes.js';

export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/** A route's requests: latency of those answered 200, and the others counted by reason (a server too busy answers 408). */
export interface RouteFigures extends Latency {
  failed: number;
  failures: Record<string, number>;
  /** The same aggregation in SQL for the same requests (p50, p95), and the route's p50 over it. */
  sql?: { p50: number; p95: number };
  vsSql?: number;
}

/** Residents' submissions at one steady rate over one phase. Latency (`count`, p50/p95/p99) is of the acknowledged ones. */
export interface Submissions extends Latency {
  /** The rate asked for, a second. */
  rate: number;
  /** Every submission due in the phase; each was sent, on time or late. */
  sent: number;
  /** Sent more than `LATE_MS` (or one interval) after its time: the generator (or the machine under it) fell behind. */
  late: number;
  /** The not acknowledged, by reason ("timeout 10 s", "ECONNREFUSED", "status 500"): none is left out unsaid. */
  failures: Record<string, number>;
  failed: number;
  /** Acknowledgements a second, from the first to the last (a server falling behind spreads them out). */
  achievedRate: number;
  /** Every submission acknowledged, at 95% of the rate asked for or more. */
  sustained: boolean;
}

export interface MixedRate {
  rate: number;
  /** Residents' submissions with nobody else on the server. */
  alone: Submissions;
  /** The same while staff and the public browse. */
  withTraffic: Submissions;
  /** withTraffic p99 / alone p99 (of the acknowledged). */
  ratio: number;
  /** The staff and public requests meanwhile, by route. */
  routes: Record<string, RouteFigures>;
  /** The server's event-loop delay over both phases, as it logs at shutdown. */
  eventLoopDelayMs?: EventLoopDelay;
  peakRssMb: number;
}

export interface MixedResult {
  shape: BenchShape;
  n: number;
  rates: MixedRate[];
  /** Submissions at the first rate while an admin downloads the whole wide CSV export, and how long that took. */
  duringExport: Submissions & { exportSeconds: number; eventLoopDelayMs?: EventLoopDelay; peakRssMb: number };
  /** Distinct staff and public URLs asked for in the run (none twice). */
  distinctUrls: number;
}

export const latency = (times: number[]): Latency => {
  times.sort((a, b) => a - b);
  return { count: times.length, p50: percentile(times, 0.5), p95: percentile(times, 0.95), p99: percentile(times, 0.99) };
};

/** A submission not answered within this is given up and counted as failed (undici's own limit is 300 s). */
const SUBMISSION_TIMEOUT_MS = 10_000;
/** The same for a staff or public page, some of which take seconds at 300 × 6 years. */
const VISIT_TIMEOUT_MS = 30_000;
/** A submission sent later than this after its time (or one interval, if longer) is late. */
const LATE_MS = 10;

/**
 * One submission: when it left (ms into the phase), how late (ms after its time), and either its time to the
 * acknowledgement or why it failed.
 */
export type Outcome = { sentMs: number; lagMs: number } & ({ ms: number; failure?: undefined } | { failure: string });

/** The phase's figures from its submissions' outcomes. */
export function summarizeSubmissions(rate: number, outcomes: readonly Outcome[]): Submissions {
  const figures = answered(outcomes);
  const late = outcomes.filter((o) => o.lagMs > Math.max(LATE_MS, 1000 / rate)).length;
  const acks = outcomes.flatMap((o) => (o.failure === undefined ? [o.sentMs + o.ms] : []));
  // Not Math.max(...acks): a long phase at a high rate has more acknowledgements than a call takes arguments.
  const span = acks.reduce((a, b) => Math.max(a, b), -Infinity) - acks.reduce((a, b) => Math.min(a, b), Infinity);
  const achievedRate = acks.length > 1 && span > 0 ? ((acks.length - 1) * 1000) / span : 0;
  return {
    ...figures,
    rate,
    sent: outcomes.length,
    late,
    achievedRate,
    sustained: outcomes.length > 0 && figures.failed === 0 && achievedRate >= rate * 0.95,
  };
}

/** Latency of the answered, and the failed counted by reason. */
function answered(items: readonly ({ ms: number; failure?: undefined } | { failure: string })[]): RouteFigures {
  const times: number[] = [];
  const failures: Record<string, number> = {};
  for (const item of items) {
    if (item.failure === undefined) times.push(item.ms);
    else failures[item.failure] = (failures[item.failure] ?? 0) + 1;
  }
  return { ...latency(times), failed: items.length - times.length, failures };
}

const failureReason = (error: unknown, timeoutMs: number): string => {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `timeout ${timeoutMs / 1000} s`;
  const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? String(error);
};

/**
 * Residents' submissions at a steady `rate` a second until `seconds` have passed or `until` settles: each leaves on
 * schedule whether or not the last was answered (all those due at once when a timer fires late, counted late). One
 * refused, reset, timed out (`timeoutMs`) or answered other than 303 is counted as failed, never ends the run: a rate
 * the server cannot keep up with is a result.
 */
export async function residents(
  url: string,
  bodies: readonly string[],
  rate: number,
  until: number | Promise<unknown>,
  timeoutMs = SUBMISSION_TIMEOUT_MS,
): Promise<Submissions> {
  let ended = false;
  // Ended either way: a failed export is reported by its own await, not here.
  const end = () => (ended = true);
  if (typeof until !== 'number') void until.then(end, end);
  const interval = 1000 / rate;
  const total = typeof until === 'number' ? Math.ceil(until * rate) : Infinity;
  const sent: Promise<Outcome>[] = [];
  const started = performance.now();
  const submit = async (i: number, due: number): Promise<Outcome> => {
    const at = performance.now();
    const [sentMs, lagMs] = [at - started, at - due];
    try {
      const res = await fetch(`${url}/surveys/community-trust`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies[i % bodies.length],
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      return res.status === 303 ? { sentMs, lagMs, ms: performance.now() - at } : { sentMs, lagMs, failure: `status ${res.status}` };
    } catch (error) {
      return { sentMs, lagMs, failure: failureReason(error, timeoutMs) };
    }
  };
  for (let i = 0; i < total && !ended;) {
    for (const now = performance.now(); i < total && started + i * interval <= now; i++) sent.push(submit(i, started + i * interval));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + i * interval - performance.now())));
  }
  const outcomes = await Promise.all(sent);
  return summarizeSubmissions(rate, outcomes);
}

type Sample = { request: BrowseRequest } & ({ ms: number; failure?: undefined } | { failure: string });

/**
 * One visitor asking for `routes` in turn, back to back, each time a URL not asked before, until `stopped()` (but at
 * least once each: `firstRound` settles then).
 */
function visitor(url: string, cookie: string | undefined, routes: readonly string[], browser: Browser, stopped: () => boolean) {
  let roundDone: () => void;
  const firstRound = new Promise<void>((resolve) => (roundDone = resolve));
  return { firstRound, samples: browse(url, cookie, routes, browser, stopped, () => roundDone()) };
}

async function browse(url: string, cookie: string | undefined, routes: readonly string[], browser: Browser, stopped: () => boolean, roundDone: () => void) {
  const samples: Sample[] = [];
  for (let i = 0; i < routes.length || !stopped(); i++) {
    if (i === routes.length) roundDone();
    const request = browser.next(routes[i % routes.length]);
    if (!request) {
      if (routes.every(browser.done)) break;
      continue;
    }
    const started = performance.now();
    // A request refused, timed out or answered other than 200 is counted against its route, and the visitor goes on.
    try {
      const res = await fetch(`${url}${request.path}`, {
        headers: cookie ? { cookie } : {},
        redirect: 'manual',
        signal: AbortSignal.timeout(VISIT_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      samples.push(res.status === 200 ? { request, ms: performance.now() - started } : { request, failure: `status ${res.status}` });
    } catch (error) {
      samples.push({ request, failure: failureReason(error, VISIT_TIMEOUT_MS) });
    }
  }
  roundDone();
  return samples;
}

export interface MixedOptions {
  shape: BenchShape;
  generated: Pick<GeneratedDatabase, 'responses' | 'measures' | 'events'>;
  /** The SQLite file, for the SQL baseline (none on PostgreSQL). */
  sqlitePath?: string;
  seconds: number;
  rates: readonly number[];
  /** Visitors browsing at once: this many staff and as many public. */
  visitors: number;
  /** A fresh server on the database (not pinned: heavy reads run on a worker thread). */
  start: () => Promise<RunningServer>;
  login: (url: string) => Promise<string>;
  exportUrl: (url: string, cookie: string) => Promise<string>;
}

/**
 * What users see: for each rate, residents submit steadily for `seconds` alone, then as long again while staff and the
 * public browse with varied requests (none repeated); a fresh server per rate, so its event-loop delay and peak RSS are
 * that rate's. Then, on another fresh server, residents at the first rate during a whole wide export. The SQL baseline
 * runs the same aggregations for the same requests afterwards, with no server running.
 */
export async function measureMixed(options: MixedOptions): Promise<MixedResult> {
  const browser = createBrowser(options.shape, options.generated);
  const rates: MixedRate[] = [];
  const samplesByRate: Sample[][] = [];
  const city = cityOf(options.shape);
  for (const [k, rate] of options.rates.entries()) {
    const bodies = submissionBodies(Math.min(20_000, Math.ceil(options.seconds * rate * 2) + 10), 11 + k, city);
    const server = await options.start();
    const rss = sampleRss(server.child.pid!, 100);
    let alone: Submissions, withTraffic: Submissions, samples: Sample[], peakRssMb: number;
    try {
      const cookie = await options.login(server.url);
      // A running server has compiled its templates and warmed its code: one request of each route and a few
      // submissions first (their URLs are not asked again), so the first measured ones do not pay for that.
      for (const route of [...staffRoutes, ...publicRoutes]) {
        const request = browser.next(route);
        if (request) await fetch(`${server.url}${request.path}`, { headers: { cookie } }).then((res) => res.arrayBuffer());
      }
      await residents(server.url, submissionBodies(10, 90 + k, city), 50, 0.2);
      alone = await residents(server.url, bodies, rate, options.seconds);
      let stop = false;
      const visitors = Array.from({ length: options.visitors }, () => [
        visitor(server.url, cookie, staffRoutes, browser, () => stop),
        visitor(server.url, undefined, publicRoutes, browser, () => stop),
      ]).flat();
      // As long as asked, and until each visitor has asked for every one of its routes once; but at most 4 times as long:
      // a server that cannot keep up would keep residents submitting for as long as its pages take (they finish the round).
      const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000).unref());
      const ended = Promise.race([Promise.all([sleep(options.seconds), ...visitors.map((v) => v.firstRound)]), sleep(4 * options.seconds)]);
      withTraffic = await residents(server.url, bodies.slice().reverse(), rate, ended).finally(() => (stop = true));
      samples = (await Promise.all(visitors.map((v) => v.samples))).flat();
    } catch (error) {
      throw new Error(`${(error as Error).message} (${rate}/s; ${server.state()})`, { cause: error });
    } finally {
      peakRssMb = rss.stop();
      await server.stop();
    }
    samplesByRate.push(samples);
    const byRoute = new Map<string, Sample[]>();
    for (const s of samples) byRoute.set(s.request.route, [...(byRoute.get(s.request.route) ?? []), s]);
    rates.push({
      rate,
      alone,
      withTraffic,
      ratio: withTraffic.p99 / alone.p99,
      routes: Object.fromEntries([...byRoute].map(([route, mine]) => [route, answered(mine)])),
      eventLoopDelayMs: server.eventLoopDelayMs(),
      peakRssMb,
    });
  }

  const server = await options.start();
  const rss = sampleRss(server.child.pid!, 100);
  let submissions: Submissions, exportSeconds: number, peakRssMb: number;
  try {
    const cookie = await options.login(server.url);
    const exportStarted = performance.now();
    const exported = fetch(await options.exportUrl(server.url, cookie), { headers: { cookie } }).then(async (res) => {
      if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
      await countLines(res.body!);
      return (performance.now() - exportStarted) / 1000;
    });
    submissions = await residents(server.url, submissionBodies(20_000, 31, city), options.rates[0], exported);
    exportSeconds = await exported;
  } finally {
    peakRssMb = rss.stop();
    await server.stop();
  }
  const duringExport = { ...submissions, exportSeconds, eventLoopDelayMs: server.eventLoopDelayMs(), peakRssMb };

  if (options.sqlitePath) {
    // Each rate's requests again in SQL: the same parameters, run once each.
    for (const [k, figures] of rates.entries()) {
      const baseline = sqlBaseline(
        options.sqlitePath,
        samplesByRate[k].filter((s) => s.failure === undefined).map((s) => s.request),
      );
      for (const [route, measured] of Object.entries(figures.routes)) {
        const sql = baseline.get(route);
        if (sql) figures.routes[route] = { ...measured, sql: { p50: sql.p50, p95: sql.p95 }, vsSql: measured.p50 / sql.p50 };
      }
    }
  }
  return { shape: options.shape, n: options.generated.responses, rates, duringExport, distinctUrls: browser.count };
}
