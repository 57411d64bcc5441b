import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseArgs, runBench } from '../../bench/run.js';
import { tempDir } from '../helper/app.js';

t.test('options: defaults, --smoke and explicit values', async (t) => {
  t.same(parseArgs([]), { database: 'sqlite', smoke: false, n: 1_000_000, duration: 10, connections: 32 });
  t.same(parseArgs(['--smoke']), { database: 'sqlite', smoke: true, n: 2000, duration: 1, connections: 32 });
  t.same(parseArgs(['--n', '100_000', '--duration=3', '--connections', '8']), { database: 'sqlite', smoke: false, n: 100_000, duration: 3, connections: 8 });
  t.equal(parseArgs(['--database', 'postgres', '--smoke']).database, 'postgres');
  t.equal(parseArgs(['--database=sqlite']).database, 'sqlite');
  t.throws(() => parseArgs(['--n', 'many']), /--n must be a positive number/);
  t.throws(() => parseArgs(['--database', 'mysql']), /--database must be sqlite or postgres/);
});

// The whole benchmark at a tiny size, servers started from the compiled build like the crash test, so the bench cannot rot.
t.test('a smoke run measures every figure and writes latest.json', async (t) => {
  const resultsDir = tempDir(t);
  const lines: string[] = [];
  const result = await runBench({ database: 'sqlite', n: 2000, duration: 1, connections: 8, smoke: true, resultsDir, log: (line) => lines.push(line) });

  t.equal(result.generation.responses, 2000);
  t.ok(result.generation.answers > 2000 * 9 && result.generation.answers < 2000 * 12, `about 10 answers a response (${result.generation.answers})`);
  t.equal(result.submissions.runs.length, 3, 'A, B, C (a full run drives C, B, A again)');
  for (const s of result.submissions.summary) {
    t.ok(s.acknowledged > 0, `${s.target}: ${s.acknowledged} submissions acknowledged`);
    t.equal(s.missing, 0, `${s.target}: every acknowledged submission is stored`);
    t.ok(s.stored >= s.acknowledged);
  }
  t.ok(result.submissions.summary[0].peakRssMb! > 10, 'the app server RSS was sampled');
  t.ok(result.startup.medianMs > 0 && result.startup.medianMs < 20_000);
  for (const part of ['alone', 'withStaff', 'pages', 'duringExport'] as const)
    t.ok(result.mixed[part].count > 0 && result.mixed[part].p99 >= result.mixed[part].p50, `mixed scenario: ${part} measured`);
  const loop = result.mixed.eventLoopDelayMs;
  t.ok(loop && loop.max >= loop.p99 && loop.p99 >= loop.p50, 'the server logged its event-loop delay at shutdown');
  if (result.export.shell) t.equal(result.export.shell.rows, 2000, 'the sqlite3 pivot has one row per response');
  t.ok(result.weighting.neighborhoodMonths > 0 && result.weighting.ms > 0, 'weighting every response is timed');
  t.ok(result.ratios.weightedVsUnweighted > 0, 'weighted trends are measured against unweighted');
  for (const figure of [result.trends.big.api, result.trends.big.apiUnweighted, result.trends.big.apiCold, result.trends.big.page]) {
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
