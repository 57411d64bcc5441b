import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseArgs, runBench, targets } from '../../bench/run.js';
import { parseShape } from '../../bench/shapes.js';
import { tempDir } from '../helper/app.js';
import { createBrowser, publicRoutes, staffRoutes } from '../../bench/browse.js';

t.test('the mixed scenario never asks for the same URL twice, and stops a route once it has no new one', async (t) => {
  const browser = createBrowser(parseShape('8x2y'), { measures: ['trust', 'safety'], events: [{ id: 1, occurredOn: '2025-06-10', neighborhood: null }] });
  const paths = new Set<string>();
  let handedOut = 0;
  for (let i = 0; i < 2000; i++)
    for (const route of [...staffRoutes, ...publicRoutes]) {
      const request = browser.next(route);
      if (!request) continue;
      handedOut++;
      paths.add(request.path);
      t.ok(request.reads.length > 0, 'every request has its SQL baseline');
    }
  t.equal(paths.size, handedOut, 'no URL twice');
  t.ok(browser.done('GET /api/events/:id/impact'), 'one event has few combinations: the route is exhausted');
  t.notOk(browser.done('GET /results'), 'ranges, buckets and measures give the results page thousands');
});

t.test('options: defaults, --smoke and explicit values', async (t) => {
  const shapes = (...names: string[]) => names.map(parseShape);
  const mixed = { visitors: 1, mixedOnly: false };
  t.same(parseArgs([]), {
    database: 'sqlite',
    smoke: false,
    n: 1_000_000,
    duration: 10,
    connections: 32,
    shapes: shapes('8x2y', '77x6y', '300x6y'),
    rates: [50, 500],
    ...mixed,
  });
  t.same(parseArgs(['--smoke']), { database: 'sqlite', smoke: true, n: 2000, duration: 1, connections: 32, shapes: shapes('8x2y'), rates: [50], ...mixed });
  t.same(parseArgs(['--n', '100_000', '--duration=3', '--connections', '8', '--shape', '77x6y', '--rate=500', '--mixed-only', '--growth-n', '300000']), {
    database: 'sqlite',
    smoke: false,
    n: 100_000,
    duration: 3,
    connections: 8,
    shapes: shapes('77x6y'),
    rates: [500],
    visitors: 1,
    mixedOnly: true,
    growthN: 300_000,
  });
  t.same(parseShape('300x6y'), { name: '300x6y', neighborhoods: 300, years: 6 });
  t.throws(() => parseArgs(['--shape', '77']), /--shape must be like/);
  t.equal(parseArgs(['--database', 'postgres', '--smoke']).database, 'postgres');
  t.equal(parseArgs(['--database=sqlite']).database, 'sqlite');
  t.throws(() => parseArgs(['--n', 'many']), /--n must be a positive number/);
  t.throws(() => parseArgs(['--database', 'mysql']), /--database must be sqlite or postgres/);
});

// The whole benchmark at a tiny size, servers started from the compiled build like the crash test, so the bench cannot rot.
t.test('a smoke run measures every figure and writes latest.json', async (t) => {
  const resultsDir = tempDir(t);
  const lines: string[] = [];
  const result = await runBench({ ...parseArgs(['--smoke', '--connections', '8']), resultsDir, log: (line) => lines.push(line) });
  const { generation, submissions, startup, weighting, ratios, trends } = result;
  if (!generation || !submissions || !startup || !weighting || !ratios || !trends || !result.export) throw new Error('a smoke run measures every figure');

  t.equal(generation.responses, 2000);
  t.ok(generation.answers > 2000 * 9 && generation.answers < 2000 * 12, `about 10 answers a response (${generation.answers})`);
  t.equal(submissions.runs.length, 3, 'A, B, C (a full run drives C, B, A again)');
  for (const s of submissions.summary) {
    t.ok(s.acknowledged > 0, `${s.target}: ${s.acknowledged} submissions acknowledged`);
    t.equal(s.missing, 0, `${s.target}: every acknowledged submission is stored`);
    t.ok(s.stored >= s.acknowledged);
  }
  t.ok(submissions.summary[0].peakRssMb! > 10, 'the app server RSS was sampled');
  t.ok(startup.medianMs > 0 && startup.medianMs < 20_000);
  const [mixed] = result.mixed;
  const [rate] = mixed.rates;
  t.ok(rate.alone.count >= 40 && rate.withTraffic.count >= 40, 'residents submitted at 50/s alone and with traffic');
  t.equal(rate.alone.failed + rate.withTraffic.failed, 0, `no submission failed at 50/s (${JSON.stringify([rate.alone.failures, rate.withTraffic.failures])})`);
  // What issue 16 asks of a server: staff and public requests do not hold a resident's submission up beyond the target.
  // Not reliably met yet on a busy 2-core machine (the figures are computed on a worker thread, but it shares the two
  // cores with the event loop and the suite's other process): a todo until the rest of issue 16 lands, then an assertion.
  t.ok(rate.withTraffic.p99 < targets.mixedSubmissionP99Ms, `submission p99 with staff and public traffic ${rate.withTraffic.p99.toFixed(1)} ms`, {
    todo: 'issue 16: the figures worker shares two cores with the event loop',
  });
  for (const route of [...staffRoutes, ...publicRoutes]) {
    const figures = rate.routes[route];
    t.ok(figures && figures.count > 0 && figures.p99 >= figures.p50, `${route} was asked for meanwhile`);
    t.ok(figures?.sql && figures.sql.p50 > 0, `${route} has its SQL baseline`);
  }
  const asked = Object.values(rate.routes).reduce((sum, f) => sum + f.count, 0);
  t.ok(mixed.distinctUrls >= asked, 'every request measured was a URL of its own (the rest warmed the server up)');
  t.ok(mixed.duringExport.count > 0 && mixed.duringExport.exportSeconds > 0, 'submissions during the export measured');
  const loop = rate.eventLoopDelayMs;
  t.ok(loop && loop.max >= loop.p99 && loop.p99 >= loop.p50, 'the server logged its event-loop delay at shutdown');
  t.ok(rate.peakRssMb > 10, 'the server RSS was sampled');
  // The mixed scenario's submissions came before the export.
  if (result.export.shell) t.ok(result.export.shell.rows > 2000, 'the sqlite3 pivot has one row per response');
  if (result.export.http.available) t.ok(result.export.http.rows > 2000, 'the export streamed every response');
  t.ok(weighting.neighborhoodMonths > 0 && weighting.ms > 0, 'weighting every response is timed');
  t.ok(ratios.weightedVsUnweighted > 0, 'weighted trends are measured against unweighted');
  for (const figure of [trends.big.api, trends.big.apiUnweighted, trends.big.apiCold, trends.big.page]) {
    if (figure.available) t.ok(figure.p95! >= figure.p50!, 'p95 ≥ p50');
    else t.equal(figure.status, 404, 'a route missing from this build is reported, not failed');
  }
  t.ok(
    lines.some((l) => /taskset|Pinning: not possible/.test(l)),
    'the output says how processes were pinned',
  );
  t.ok(
    lines.some((l) => l.startsWith('submit: app / FULL baseline')),
    'the table is printed',
  );
  for (const name of ['sqlite.json', 'latest.json']) {
    const file = join(resultsDir, name);
    t.ok(existsSync(file));
    t.equal(JSON.parse(readFileSync(file, 'utf8')).options.n, 2000);
  }
});
