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

export interface RouteFigures extends Latency {
  /** The same aggregation in SQL for the same requests (p50, p95), and the route's p50 over it. */
  sql?: { p50: number; p95: number };
  vsSql?: number;
}

export interface MixedRate {
  rate: number;
  /** Residents' submissions with nobody else on the server. */
  alone: Latency;
  /** The same while staff and the public browse. */
  withTraffic: Latency;
  /** withTraffic p99 / alone p99. */
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
  duringExport: Latency & { rate: number; exportSeconds: number; eventLoopDelayMs?: EventLoopDelay; peakRssMb: number };
  /** Distinct staff and public URLs asked for in the run (none twice). */
  distinctUrls: number;
}

export const latency = (times: number[]): Latency => {
  times.sort((a, b) => a - b);
  return { count: times.length, p50: percentile(times, 0.5), p95: percentile(times, 0.95), p99: percentile(times, 0.99) };
};

/**
 * Residents' submissions at a steady `rate` a second until `seconds` have passed or `until` settles: each leaves on
 * schedule whether or not the last was answered. Every one must be acknowledged (303); resolves with their times.
 */
async function residents(url: string, bodies: readonly string[], rate: number, until: number | Promise<unknown>): Promise<number[]> {
  let ended = false;
  if (typeof until !== 'number') void until.finally(() => (ended = true));
  const times: number[] = [];
  const sent: Promise<void>[] = [];
  let failure: Error | undefined;
  const started = performance.now();
  for (let i = 0; typeof until === 'number' ? performance.now() - started < until * 1000 : !ended; i++) {
    const at = performance.now();
    sent.push(
      fetch(`${url}/surveys/community-trust`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies[i % bodies.length],
        redirect: 'manual',
      })
        .then(
          async (res) => {
            await res.arrayBuffer();
            if (res.status !== 303) throw new Error(`a submission answered ${res.status}`);
            times.push(performance.now() - at);
          },
          // A refused or reset connection ends the run, with what it was.
          (error: unknown) => {
            throw new Error(`a submission failed: ${String((error as Error).cause ?? error)}`);
          },
        )
        // Handled at once (an unhandled rejection would end the process before the run could say which request failed).
        .catch((error: unknown) => void (failure ??= error instanceof Error ? error : new Error(String(error)))),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + ((i + 1) * 1000) / rate - performance.now())));
  }
  await Promise.all(sent);
  if (failure !== undefined) throw failure;
  return times;
}

interface Sample {
  request: BrowseRequest;
  ms: number;
}

/**
 * One visitor asking for `routes` in turn, back to back, each time a URL not asked before, until `stopped()` (but at
 * least once each: `firstRound` settles then).
 */
function visitor(url: string, cookie: string | undefined, routes: readonly string[], browser: Browser, stopped: () => boolean) {
  let roundDone: () => void;
  const firstRound = new Promise<void>((resolve) => (roundDone = resolve));
  const samples = browse(url, cookie, routes, browser, stopped, () => roundDone());
  // A failed request ends the phase (and the run, when the samples are awaited).
  samples.catch(() => roundDone());
  return { firstRound, samples };
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
    const res = await fetch(`${url}${request.path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${request.path} answered ${res.status}: ${Buffer.from(body).toString().slice(0, 300)}`);
    samples.push({ request, ms: performance.now() - started });
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
    let alone: number[], withTraffic: number[], samples: Sample[];
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
      // As long as asked, and until each visitor has asked for every one of its routes once.
      const ended = Promise.all([new Promise((resolve) => setTimeout(resolve, options.seconds * 1000)), ...visitors.map((v) => v.firstRound)]);
      withTraffic = await residents(server.url, bodies.slice().reverse(), rate, ended).finally(() => (stop = true));
      samples = (await Promise.all(visitors.map((v) => v.samples))).flat();
    } catch (error) {
      throw new Error(`${(error as Error).message} (${rate}/s; ${server.state()})`, { cause: error });
    } finally {
      await server.stop();
    }
    samplesByRate.push(samples);
    const byRoute = new Map<string, number[]>();
    for (const s of samples) byRoute.set(s.request.route, [...(byRoute.get(s.request.route) ?? []), s.ms]);
    const aloneFigures = latency(alone);
    const trafficFigures = latency(withTraffic);
    rates.push({
      rate,
      alone: aloneFigures,
      withTraffic: trafficFigures,
      ratio: trafficFigures.p99 / aloneFigures.p99,
      routes: Object.fromEntries([...byRoute].map(([route, times]) => [route, latency(times)])),
      eventLoopDelayMs: server.eventLoopDelayMs(),
      peakRssMb: rss.stop(),
    });
  }

  const server = await options.start();
  const rss = sampleRss(server.child.pid!, 100);
  let duringExport: MixedResult['duringExport'];
  try {
    const cookie = await options.login(server.url);
    const exportStarted = performance.now();
    const exported = fetch(await options.exportUrl(server.url, cookie), { headers: { cookie } }).then(async (res) => {
      if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
      await countLines(res.body!);
      return (performance.now() - exportStarted) / 1000;
    });
    const times = await residents(server.url, submissionBodies(20_000, 31, city), options.rates[0], exported);
    const exportSeconds = await exported;
    await server.stop();
    duringExport = { ...latency(times), rate: options.rates[0], exportSeconds, eventLoopDelayMs: server.eventLoopDelayMs(), peakRssMb: rss.stop() };
  } finally {
    await server.stop();
  }

  if (options.sqlitePath) {
    // Each rate's requests again in SQL: the same parameters, run once each.
    for (const [k, figures] of rates.entries()) {
      const baseline = sqlBaseline(
        options.sqlitePath,
        samplesByRate[k].map((s) => s.request),
      );
      for (const [route, measured] of Object.entries(figures.routes)) {
        const sql = baseline.get(route);
        if (sql) figures.routes[route] = { ...measured, sql: { p50: sql.p50, p95: sql.p95 }, vsSql: measured.p50 / sql.p50 };
      }
    }
  }
  return { shape: options.shape, n: options.generated.responses, rates, duringExport, distinctUrls: browser.count };
}
