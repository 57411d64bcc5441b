import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startCluster, type Cluster } from '../scripts/lib/postgres-cluster.js';
import { openPgDatabase } from '../src/db/pg/client.js';
import { copySqliteToPg } from '../src/db/pg/copy.js';
import { openPgStore, openSqliteStore } from '../src/db/open.js';
import { openDatabase } from '../src/db/sqlite/client.js';
import { generateDemo } from '../src/demo/generate.js';
import { projectRoot } from '../src/paths.js';
import { createWeightingRepository } from '../src/weighting/queries.js';
import { createWeightingRunner } from '../src/weighting/runner.js';
import { submissionBodies } from './forms.js';
import { benchStaff, generateBenchDatabase, type GeneratedDatabase } from './generate.js';
import { countLines, measureLatency, staffCsrfToken, staffLogin, type LatencyResult } from './http.js';
import type { LoadOptions, LoadResult } from './load.js';
import { measureMixed, type MixedResult, type Submissions } from './mixed.js';
import { BENCH_LAST_DAY, benchShapes, cityOf, firstDayOf, parseShape, type BenchShape } from './shapes.js';
import { canPin, hasSqliteShell, moduleCommand, pinned, rssMb, runJsonChild, sampleRss, startServer, type RunningServer } from './processes.js';

export type BenchDatabaseKind = 'sqlite' | 'postgres';

export interface BenchOptions {
  database: BenchDatabaseKind;
  n: number;
  duration: number;
  connections: number;
  smoke: boolean;
  /** The cities generated, each at N responses; the last one also gets the submission, trends and export figures. */
  shapes: BenchShape[];
  /** Residents' submissions a second in the mixed scenario, each alone and with staff and public traffic. */
  rates: number[];
  /** Staff visitors browsing at once in the mixed scenario, and as many public ones. */
  visitors: number;
  /** The mixed scenario only (no submission throughput, trends, export, start-up or demo figures). */
  mixedOnly: boolean;
  /** Also the last shape at this N, for the growth of every route's p95 (e.g. 3,000,000 against 1,000,000). */
  growthN?: number;
  /** The results file's name (default: the database's). */
  name?: string;
  /** Where <name>.json and latest.json go. */
  resultsDir: string;
  log?: (line: string) => void;
}

const SERVER_CORE = 0;
const LOAD_CORE = 1;
const SURVEY = 'community-trust';

export const targets = {
  submissionsVsFull: 1,
  submissionsVsOff: 0.6,
  submissionP99Ms: 50,
  serverRssMb: 200,
  trendsApiP95Ms: 25,
  resultsPageP95Ms: 60,
  growth: 1.5,
  mixedSubmissionP99Ms: 100,
  mixedVsAlone: 2,
  eventLoopDelayP99Ms: 10,
  /** Every staff and public route's p95 while residents submit, per shape (issue 16). */
  mixedRouteP95Ms: { '77x6y': 100, '300x6y': 250, default: 100 } as Record<string, number>,
  /** A route's p50 over the same aggregation run directly in SQL. */
  vsSql: 3,
  mixedRssMb: 250,
  exportVsShell: 0.5,
  weightedVsUnweighted: 2,
  startupMs: 1000,
};

/** One generated database: an SQLite file, or a PostgreSQL database (with the cluster's psql) on the bench's own cluster. */
type BenchDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; psql: string };

const appEnv = (database: BenchDatabase) => ({
  ...(database.kind === 'sqlite' ? { DATABASE_PATH: database.path } : { DATABASE_URL: database.url }),
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  SUBMIT_RATE_LIMIT: '100000000',
  LOGIN_RATE_LIMIT: '1000',
  PASSWORD_HASH_COST: '10',
  SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
});

/** A query on the bench's database with its own short-lived connection (outside the servers being measured). */
async function query<T>(database: BenchDatabase, text: string, values: unknown[] = []): Promise<T[]> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.path, { readonly: true });
    try {
      return db.prepare(text.replace(/\$\d+/g, '?')).all(...values) as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const countResponses = async (database: BenchDatabase) => Number((await query<{ n: number }>(database, 'SELECT count(*) AS n FROM responses'))[0].n);

interface SubmissionFigures {
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  acknowledged: number;
  stored: number;
}

interface SubmissionRun extends SubmissionFigures {
  otherStatuses: number;
  rssMb?: number;
}

interface SubmissionSummary extends SubmissionFigures {
  missing: number;
  peakRssMb?: number;
}

/** Weighs every response of a generated database (what a deployment's first weighting pass does), timed. */
async function measureWeighting(database: BenchDatabase): Promise<{ ms: number; neighborhoodMonths: number }> {
  const store = database.kind === 'sqlite' ? openSqliteStore({ DATABASE_PATH: database.path }).store : await openPgStore(database.url);
  try {
    const started = performance.now();
    const neighborhoodMonths = await createWeightingRunner(createWeightingRepository(store), console).runStale();
    return { ms: performance.now() - started, neighborhoodMonths };
  } finally {
    await store.close();
  }
}

/** Trends API and results page latency on one database. */
async function measureTrends(database: BenchDatabase, requests: number, shape: BenchShape) {
  const server = await startServer(pinned(moduleCommand('src/server'), SERVER_CORE), appEnv(database));
  try {
    const cookie = await staffLogin(server.url, benchStaff.email, benchStaff.password);
    const apiUrl = `${server.url}/api/trends?survey=${SURVEY}&bucket=month&from=${firstDayOf(shape)}&to=${BENCH_LAST_DAY}`;
    const api = await measureLatency(apiUrl, cookie, requests);
    const apiUnweighted = await measureLatency(`${apiUrl}&weighting=unweighted`, cookie, requests);
    const page = await measureLatency(`${server.url}/results?survey=${SURVEY}&bucket=month`, cookie, requests);
    // Cold: a resident's submission before each request, so the figures are never served from the cache.
    const bodies = submissionBodies(requests, 7, cityOf(shape));
    const submit = async () => {
      const res = await fetch(`${server.url}/surveys/${SURVEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies.pop(),
        redirect: 'manual',
      });
      await res.arrayBuffer();
      if (res.status !== 303) throw new Error(`a submission answered ${res.status}`);
    };
    const apiCold = await measureLatency(apiUrl, cookie, Math.max(5, requests / 4), 0, submit);
    return { api, apiUnweighted, apiCold, page };
  } finally {
    await server.stop();
  }
}

/** The wide pivot (one row per response, one column per question) that the export produces. */
async function pivotSql(database: BenchDatabase): Promise<string> {
  const questions = await query<{ id: number; code: string }>(
    database,
    'SELECT q.id, q.code FROM questions q JOIN surveys s ON s.id = q.survey_id WHERE s.slug = $1 ORDER BY q.position',
    [SURVEY],
  );
  // PostgreSQL's coalesce wants one type, and its GROUP BY every selected column not of r (which would cost SQLite a sort).
  const [value, groupBy] =
    database.kind === 'sqlite' ? ['coalesce(a.value_number, a.value_text)', 'r.id'] : ['coalesce(a.value_number::text, a.value_text)', 'r.id, n.slug'];
  const columns = questions.map((q) => `max(CASE WHEN a.question_id = ${q.id} THEN ${value} END) AS "${q.code}"`);
  return `SELECT r.id AS response_id, r.submitted_on, n.slug AS neighborhood, r.channel, r.language, ${columns.join(', ')}
    FROM responses r JOIN surveys s ON s.id = r.survey_id JOIN neighborhoods n ON n.id = r.neighborhood_id
    LEFT JOIN answers a ON a.response_id = r.id
    WHERE s.slug = '${SURVEY}' AND NOT r.voided GROUP BY ${groupBy} ORDER BY r.id`;
}

/** The physical baseline of the export: the same pivot through the database's own shell, CSV to a pipe. */
async function runShell(database: BenchDatabase): Promise<{ tool: string; rows: number; seconds: number }> {
  const pivot = (await pivotSql(database)).replace(/\s+/g, ' ');
  const tool = database.kind === 'sqlite' ? 'sqlite3 shell, .mode csv' : 'psql \\copy (query) to stdout, csv';
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child =
      database.kind === 'sqlite'
        ? spawn('/usr/bin/sqlite3', ['-readonly', database.path], { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(database.psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database.url, '-c', `\\copy (${pivot}) to stdout with (format csv, header)`], {
            stdio: ['pipe', 'pipe', 'pipe'],
          });
    child.stdin.end(database.kind === 'sqlite' ? `.headers on\n.mode csv\n${pivot};\n` : '');
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = countLines(child.stdout as unknown as ReadableStream<Uint8Array>);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${tool} exited with ${code}: ${stderr}`));
      void lines.then((n) => resolve({ tool, rows: n - 1, seconds: (performance.now() - started) / 1000 }));
    });
  });
}

async function measureExport(database: BenchDatabase) {
  const server = await startServer(pinned(moduleCommand('src/server'), SERVER_CORE), appEnv(database));
  try {
    const cookie = await staffLogin(server.url, benchStaff.email, benchStaff.password);
    const token = await staffCsrfToken(server.url, cookie);
    const rss = sampleRss(server.child.pid!, 20);
    const started = performance.now();
    const res = await fetch(`${server.url}/admin/export.csv?survey=${SURVEY}&format=wide&_csrf=${encodeURIComponent(token)}`, {
      headers: { cookie },
      redirect: 'manual',
    });
    if (res.status === 404) {
      await res.arrayBuffer();
      rss.stop();
      return { available: false as const };
    }
    if (res.status !== 200) throw new Error(`export answered ${res.status}`);
    const rows = (await countLines(res.body!)) - 1;
    const seconds = (performance.now() - started) / 1000;
    return { available: true as const, rows, seconds, rowsPerSecond: rows / seconds, peakRssMb: rss.stop() };
  } finally {
    await server.stop();
  }
}

async function measureStartup(database: BenchDatabase, rounds: number) {
  const times: number[] = [];
  // Production settings: the default (OWASP) password hash cost, not the bench's cheaper one.
  const { PASSWORD_HASH_COST: _cheap, ...env } = appEnv(database);
  for (let i = 0; i < rounds; i++) {
    const server = await startServer(moduleCommand('src/server'), env);
    times.push(server.startMs);
    await server.stop();
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], runsMs: times };
}

/** The three write targets, started once, driven A, B, C, C, B, A after a warm-up each. */
async function measureSubmissions(
  database: BenchDatabase,
  options: BenchOptions,
  shape: BenchShape,
): Promise<{ runs: SubmissionRun[]; summary: SubmissionSummary[] }> {
  const servers: Record<string, RunningServer> = {};
  const acks: Record<string, (r: LoadResult) => number> = {
    app: (r) => r.statusCounts['303'] ?? 0,
    'baseline FULL': (r) => Object.entries(r.statusCounts).reduce((s, [code, n]) => s + (code.startsWith('2') ? n : 0), 0),
    'baseline OFF': (r) => Object.entries(r.statusCounts).reduce((s, [code, n]) => s + (code.startsWith('2') ? n : 0), 0),
  };
  const runs: SubmissionRun[] = [];
  try {
    servers.app = await startServer(pinned(moduleCommand('src/server'), SERVER_CORE), appEnv(database));
    const baseline = (sync: string) =>
      database.kind === 'sqlite'
        ? startServer(pinned(moduleCommand('bench/baseline-server'), SERVER_CORE), { DATABASE_PATH: database.path, SYNC: sync })
        : startServer(pinned(moduleCommand('bench/baseline-pg-server'), SERVER_CORE), { DATABASE_URL: database.url, SYNC: sync });
    servers['baseline FULL'] = await baseline('FULL');
    servers['baseline OFF'] = await baseline('OFF');
    let seed = 100;
    const drive = async (target: string, duration: number) => {
      const server = servers[target];
      const before = await countResponses(database);
      const rss = sampleRss(server.child.pid!, 100);
      const load: LoadOptions = { url: server.url, connections: options.connections, duration, seed: seed++, neighborhoods: shape.neighborhoods };
      const command = moduleCommand('bench/load');
      const result = await runJsonChild<LoadResult>(pinned({ command: command.command, args: [...command.args, JSON.stringify(load)] }, LOAD_CORE));
      const peak = rss.stop();
      // Requests still in flight when the load stops may commit after autocannon stopped counting them.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const acknowledged = acks[target](result);
      const stored = (await countResponses(database)) - before;
      return {
        target,
        requestsPerSecond: result.requestsPerSecond,
        p50: result.p50,
        p99: result.p99,
        acknowledged,
        stored,
        otherStatuses: result.total - acknowledged,
        rssMb: peak,
      };
    };
    // The smoke run only proves the code works: no warm-up.
    if (!options.smoke) for (const target of Object.keys(servers)) await drive(target, 3);
    // A, B, C, C, B, A cancels a drift of the machine over the runs; the smoke run needs each target once.
    const order = ['app', 'baseline FULL', 'baseline OFF'];
    for (const target of options.smoke ? order : [...order, ...order.toReversed()]) {
      const run = await drive(target, options.duration);
      runs.push(run);
      options.log?.(`  ${target}: ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99} ms`);
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  const summary = Object.keys(acks).map((target) => {
    const mine = runs.filter((r) => r.target === target);
    const mean = (f: (r: SubmissionRun) => number) => mine.reduce((s, r) => s + f(r), 0) / mine.length;
    const acknowledged = mine.reduce((s, r) => s + r.acknowledged, 0);
    const stored = mine.reduce((s, r) => s + r.stored, 0);
    return {
      target,
      requestsPerSecond: mean((r) => r.requestsPerSecond),
      p50: mean((r) => r.p50),
      p99: Math.max(...mine.map((r) => r.p99)),
      acknowledged,
      stored,
      missing: Math.max(0, acknowledged - stored),
      peakRssMb: Math.max(...mine.map((r) => r.rssMb ?? 0)),
    };
  });
  return { runs, summary };
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function latencyRow(label: string, big: LatencyResult, small: LatencyResult | undefined, target: number): string[] {
  if (!big.available) return [label, 'not available in this build', '', ''];
  const growth = small?.available ? big.p95! / small.p95! : undefined;
  const ok = big.p95! < target && (growth === undefined || growth <= targets.growth);
  return [
    label,
    `p50 ${fmt(big.p50)} ms, p95 ${fmt(big.p95)} ms${small?.available ? ` (smaller DB p95 ${fmt(small.p95)} ms, ×${fmt(growth, 2)})` : ''}`,
    `p95 < ${target} ms, ≤ ×${targets.growth}`,
    verdict(ok),
  ];
}

/**
 * The bench's data: generated into an SQLite file, and for PostgreSQL copied from it into a database of the bench's
 * cluster with the project's own copy (`npm run db:copy`), then analyzed. The time is both together.
 */
async function generate(kind: BenchDatabaseKind, cluster: Cluster | undefined, work: string, name: string, n: number, shape: BenchShape) {
  const path = join(work, `${name}.db`);
  const generated = await generateBenchDatabase(path, n, shape);
  if (kind === 'sqlite') return { database: { kind, path } as BenchDatabase, generated };
  const started = performance.now();
  await query({ kind, url: cluster!.url, psql: '' }, `CREATE DATABASE bench_${name}`);
  const url = new URL(cluster!.url);
  url.pathname = `/bench_${name}`;
  const source = openDatabase(path);
  const target = await openPgDatabase(url.toString(), { max: 1 });
  try {
    // 5,000 rows of at most 11 columns stay under PostgreSQL's 65,535 parameters per statement.
    await copySqliteToPg(source, target, { batchSize: 5000 });
    await target.pool.query('ANALYZE');
  } finally {
    source.close();
    await target.close();
  }
  rmSync(path);
  const psql = existsSync(join(cluster!.bin, 'psql')) ? join(cluster!.bin, 'psql') : '/usr/bin/psql';
  return { database: { kind, url: url.toString(), psql } as BenchDatabase, generated: { ...generated, ms: generated.ms + performance.now() - started } };
}

/**
 * The figures measured on one database (the last shape's): submission throughput against the bare baselines, trends and
 * results latency with growth from N/10, the export against the database's shell, start-up and the demo's generation.
 */
async function classicFigures(
  options: BenchOptions,
  shape: BenchShape,
  cluster: Cluster | undefined,
  work: string,
  big: BenchDatabase,
  generated: GeneratedDatabase,
  weighting: { ms: number; neighborhoodMonths: number },
) {
  const log = options.log ?? console.log;
  const smallN = Math.round(options.n / 10);
  const small = options.smoke ? undefined : (await generate(options.database, cluster, work, `${shape.name}_small`, smallN, shape)).database;
  if (small) await measureWeighting(small);

  // The full demo city (`npm run demo` on a fresh machine); the smoke run leaves it out to stay small.
  const demo = options.smoke || options.database !== 'sqlite' ? null : await measureDemo(join(work, 'demo.db'));
  if (demo) log(`Demo generated: ${demo.responses} responses in ${(demo.ms / 1000).toFixed(1)} s`);
  const startup = await measureStartup(big, options.smoke ? 1 : 5);
  log(`Start-up: ${startup.medianMs.toFixed(0)} ms`);
  const requests = options.smoke ? 20 : 200;
  const shell = big.kind === 'postgres' || hasSqliteShell() ? await runShell(big) : undefined;
  const exported = await measureExport(big);
  log('Export measured');
  // After the export: the cold trends add submissions.
  const trendsBig = await measureTrends(big, requests, shape);
  const trendsSmall = small ? await measureTrends(small, requests, shape) : undefined;
  log('Trends measured');
  const submissions = await measureSubmissions(big, options, shape);

  const [app, full, off] = submissions.summary;
  const vsFull = app.requestsPerSecond / full.requestsPerSecond;
  const vsOff = app.requestsPerSecond / off.requestsPerSecond;
  const rows: string[][] = [];
  for (const s of submissions.summary) {
    rows.push([
      `submit: ${s.target}`,
      `${fmt(s.requestsPerSecond, 0)} req/s, p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms; ${s.acknowledged} acked, ${s.stored} stored, ${s.missing} missing`,
      s.target === 'app' ? `p99 < ${targets.submissionP99Ms} ms` : '',
      s.target === 'app' ? verdict(s.p99 < targets.submissionP99Ms) : '',
    ]);
  }
  rows.push(['submit: app / FULL baseline', `×${fmt(vsFull, 2)}`, `≥ ×${targets.submissionsVsFull}`, verdict(vsFull >= targets.submissionsVsFull)]);
  rows.push(['submit: app / OFF ceiling', `${fmt(vsOff * 100, 0)}%`, `≥ ${targets.submissionsVsOff * 100}%`, verdict(vsOff >= targets.submissionsVsOff)]);
  rows.push([
    'submit: every ack stored',
    `${submissions.summary.reduce((s, r) => s + r.missing, 0)} missing`,
    '0',
    verdict(submissions.summary.every((r) => r.missing === 0)),
  ]);
  rows.push([
    'server RSS under submissions',
    `${fmt(app.peakRssMb, 0)} MB peak`,
    `< ${targets.serverRssMb} MB`,
    verdict((app.peakRssMb ?? 0) < targets.serverRssMb),
  ]);
  rows.push(latencyRow('GET /api/trends (3 years, monthly)', trendsBig.api, trendsSmall?.api, targets.trendsApiP95Ms));
  rows.push(latencyRow('GET /api/trends, unweighted', trendsBig.apiUnweighted, trendsSmall?.apiUnweighted, targets.trendsApiP95Ms));
  const weightedRatio = (trendsBig.api.p95 ?? NaN) / (trendsBig.apiUnweighted.p95 ?? NaN);
  rows.push([
    'GET /api/trends p95: weighted / unweighted',
    `×${fmt(weightedRatio, 2)}`,
    `≤ ×${targets.weightedVsUnweighted}`,
    verdict(weightedRatio <= targets.weightedVsUnweighted),
  ]);
  rows.push(latencyRow('GET /api/trends, cold (after a submission)', trendsBig.apiCold, trendsSmall?.apiCold, targets.trendsApiP95Ms));
  rows.push(latencyRow('GET /results (full page)', trendsBig.page, trendsSmall?.page, targets.resultsPageP95Ms));
  if (!exported.available) rows.push(['export wide CSV over HTTP', 'not available in this build', '', '']);
  else {
    const ratio = shell ? exported.rowsPerSecond / (shell.rows / shell.seconds) : undefined;
    rows.push([
      'export wide CSV over HTTP',
      `${fmt(exported.rowsPerSecond, 0)} rows/s (${exported.rows} rows), peak RSS ${fmt(exported.peakRssMb, 0)} MB`,
      `RSS < ${targets.serverRssMb} MB`,
      verdict(exported.peakRssMb < targets.serverRssMb),
    ]);
    if (ratio !== undefined)
      rows.push([
        `export / ${big.kind === 'sqlite' ? 'sqlite3 shell' : 'psql \\copy'}`,
        `×${fmt(ratio, 2)}`,
        `≥ ×${targets.exportVsShell}`,
        verdict(ratio >= targets.exportVsShell),
      ]);
  }
  rows.push([
    `${shell?.tool ?? 'sqlite3 shell, .mode csv'}, same pivot`,
    shell ? `${fmt(shell.rows / shell.seconds, 0)} rows/s (${shell.rows} rows)` : '/usr/bin/sqlite3 missing (apt-get install -y sqlite3)',
    '',
    '',
  ]);
  rows.push([
    'start-up to /healthz 200',
    `${fmt(startup.medianMs, 0)} ms (median of ${startup.runsMs.length})`,
    `< ${targets.startupMs} ms`,
    verdict(startup.medianMs < targets.startupMs),
  ]);
  rows.push(['data generation', `${fmt(generated.ms / 1000)} s for ${options.n} responses (${shape.name})`, '< 60 s', verdict(generated.ms < 60_000)]);
  rows.push([
    'weighting every response (first pass)',
    `${fmt(weighting.ms / 1000)} s for ${options.n} responses, ${weighting.neighborhoodMonths} neighborhood-months`,
    '',
    '',
  ]);
  if (demo) rows.push(['demo generation', `${fmt(demo.ms / 1000)} s for ${demo.responses} responses`, '< 30 s', verdict(demo.ms < 30_000)]);

  return {
    rows,
    result: {
      generation: generated,
      demo,
      submissions,
      ratios: { appVsFull: vsFull, appVsOff: vsOff, weightedVsUnweighted: weightedRatio },
      weighting,
      trends: { big: trendsBig, small: trendsSmall, smallN: small ? smallN : undefined },
      export: { http: exported, shell: shell ?? null },
      startup,
    },
  };
}

/**
 * Residents at each rate alone and while staff and the public browse, then during an export, on one shape's database;
 * with the same aggregations in SQL as the baseline. The server is not pinned here: heavy reads run on a worker thread,
 * which a server pinned to one core would share with its event loop.
 */
async function mixedScenario(database: BenchDatabase, generated: GeneratedDatabase, shape: BenchShape, options: BenchOptions) {
  return measureMixed({
    shape,
    generated,
    sqlitePath: database.kind === 'sqlite' ? database.path : undefined,
    seconds: options.duration,
    rates: options.rates,
    visitors: options.visitors,
    start: () => startServer(moduleCommand('src/server'), appEnv(database)),
    login: (url) => staffLogin(url, benchStaff.email, benchStaff.password),
    exportUrl: async (url, cookie) => `${url}/admin/export.csv?survey=${SURVEY}&format=wide&_csrf=${encodeURIComponent(await staffCsrfToken(url, cookie))}`,
  });
}

/**
 * Residents' submissions of one phase: p50/p99 of the acknowledged and how many left behind schedule, and when the rate
 * was not sustained, so said first with the rate achieved and the failures by reason.
 */
export function submissionsCell(s: Submissions): string {
  const acked = `p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms (${s.count} acked${s.late ? `, ${s.late} sent late` : ''})`;
  if (s.sustained) return acked;
  return `NOT SUSTAINED: ${fmt(s.achievedRate, 0)}/s of ${s.rate}/s, ${s.failed} of ${s.sent} failed${s.failed ? ` (${failuresText(s.failures)})` : ''}; ${acked}`;
}

const failuresText = (failures: Record<string, number>) =>
  Object.entries(failures)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');

/** The mixed scenario's rows: per rate, residents alone and with traffic, every route against its target and its SQL baseline. */
export function mixedRows(mixed: MixedResult): string[][] {
  const rows: string[][] = [];
  const tag = `[${mixed.shape.name}, N ${mixed.n.toLocaleString('en-US')}]`;
  const routeTarget = targets.mixedRouteP95Ms[mixed.shape.name] ?? targets.mixedRouteP95Ms.default;
  for (const r of mixed.rates) {
    rows.push([`${tag} submit at ${r.rate}/s, alone`, submissionsCell(r.alone), 'rate sustained', verdict(r.alone.sustained)]);
    rows.push([
      `${tag} submit at ${r.rate}/s, staff and public browsing`,
      `${submissionsCell(r.withTraffic)}, ×${fmt(r.ratio, 2)} alone`,
      `sustained, p99 < ${targets.mixedSubmissionP99Ms} ms, ≤ ×${targets.mixedVsAlone}`,
      verdict(r.alone.sustained && r.withTraffic.sustained && r.withTraffic.p99 < targets.mixedSubmissionP99Ms && r.ratio <= targets.mixedVsAlone),
    ]);
    for (const [route, f] of Object.entries(r.routes))
      rows.push([
        `${tag} ${r.rate}/s: ${route}`,
        `${f.failed ? `${f.failed} FAILED (${failuresText(f.failures)}); ` : ''}p50 ${fmt(f.p50)}, p95 ${fmt(f.p95)}, p99 ${fmt(f.p99)} ms (${f.count})${f.sql ? `; SQL p50 ${fmt(f.sql.p50, 2)} ms, ×${fmt(f.vsSql, 1)}` : ''}`,
        `p95 < ${routeTarget} ms${f.sql ? `, ≤ ×${targets.vsSql} SQL` : ''}`,
        verdict(f.failed === 0 && f.p95 < routeTarget && (f.vsSql === undefined || f.vsSql <= targets.vsSql)),
      ]);
    const loop = r.eventLoopDelayMs;
    rows.push([
      `${tag} ${r.rate}/s: event-loop delay, server peak RSS`,
      `${loop ? `p50 ${fmt(loop.p50)} ms, p99 ${fmt(loop.p99)} ms, max ${fmt(loop.max)} ms` : 'delay not logged by this build'}; RSS ${fmt(r.peakRssMb, 0)} MB`,
      `p99 < ${targets.eventLoopDelayP99Ms} ms, RSS < ${targets.mixedRssMb} MB`,
      verdict(loop !== undefined && loop.p99 < targets.eventLoopDelayP99Ms && r.peakRssMb < targets.mixedRssMb),
    ]);
  }
  const e = mixed.duringExport;
  rows.push([
    `${tag} submit at ${e.rate}/s during the export`,
    `${submissionsCell(e)}; export ${fmt(e.exportSeconds)} s, RSS ${fmt(e.peakRssMb, 0)} MB`,
    `sustained, p99 < ${targets.mixedSubmissionP99Ms} ms`,
    verdict(e.sustained && e.p99 < targets.mixedSubmissionP99Ms),
  ]);
  return rows;
}

/** Each route's p95 at the larger N over its p95 at the smaller, same shape, same rate. */
function growthRows(small: MixedResult, big: MixedResult): string[][] {
  return big.rates.flatMap((r, k) =>
    Object.entries(r.routes).flatMap(([route, f]) => {
      const before = small.rates[k]?.routes[route];
      if (!before) return [];
      const growth = f.p95 / before.p95;
      return [
        [
          `[${big.shape.name}] ${r.rate}/s: ${route} p95 growth`,
          `×${fmt(growth, 2)} (${fmt(before.p95)} → ${fmt(f.p95)} ms, N ${small.n.toLocaleString('en-US')} → ${big.n.toLocaleString('en-US')})`,
          `≤ ×${targets.growth}`,
          verdict(growth <= targets.growth),
        ],
      ];
    }),
  );
}

/** Runs the whole benchmark; prints the table and writes <name>.json and latest.json. */
export async function runBench(options: BenchOptions) {
  const log = options.log ?? console.log;
  const work = mkdtempSync(join(tmpdir(), 'cg-bench-'));
  let cluster: Cluster | undefined;
  const started = new Date();
  try {
    log(
      `Common Ground benchmark: N = ${options.n.toLocaleString('en-US')}, shapes ${options.shapes.map((s) => s.name).join(', ')}, residents at ${options.rates.join(' and ')}/s, ${options.connections} connections, ${options.duration} s per run${options.smoke ? ' (smoke)' : ''}`,
    );
    log(
      canPin
        ? `Pinning: servers on core ${SERVER_CORE}, autocannon on core ${LOAD_CORE} (taskset -c); the mixed scenario is not pinned`
        : 'Pinning: not possible here (needs 2 cores and /usr/bin/taskset); figures are less reliable',
    );
    if (options.database === 'postgres') {
      cluster = await startCluster({ durable: true });
      log(`PostgreSQL: a throwaway cluster from ${cluster.bin} (fsync and synchronous_commit on, not pinned)`);
    }
    const plan = options.shapes.map((shape) => ({ shape, n: options.n }));
    if (options.growthN) plan.push({ shape: options.shapes.at(-1)!, n: options.growthN });
    const mixed: (MixedResult & { generationMs: number; weighting: { ms: number; neighborhoodMonths: number } })[] = [];
    let classic: Awaited<ReturnType<typeof classicFigures>> | undefined;
    for (const [i, { shape, n }] of plan.entries()) {
      const { database, generated } = await generate(options.database, cluster, work, `s${shape.neighborhoods}x${shape.years}_${n}`, n, shape);
      log(`${shape.name}: generated ${generated.responses} responses (${generated.answers} answers) in ${(generated.ms / 1000).toFixed(1)} s`);
      const weighting = await measureWeighting(database);
      log(
        `${shape.name}: weighted ${generated.responses} responses (${weighting.neighborhoodMonths} neighborhood-months) in ${(weighting.ms / 1000).toFixed(1)} s`,
      );
      const result = await mixedScenario(database, generated, shape, options);
      mixed.push({ ...result, generationMs: generated.ms, weighting });
      for (const row of mixedRows(result)) log(`  ${row.filter(Boolean).join(' | ')}`);
      if (i === options.shapes.length - 1 && !options.mixedOnly) classic = await classicFigures(options, shape, cluster, work, database, generated, weighting);
      if (database.kind === 'sqlite') for (const suffix of ['', '-wal', '-shm']) rmSync(`${database.path}${suffix}`, { force: true });
    }
    const rows: string[][] = [['figure', 'measured', 'target', ''], ...(classic?.rows ?? [])];
    for (const m of mixed.slice(0, options.shapes.length)) rows.push(...mixedRows(m));
    if (options.growthN) rows.push(...mixedRows(mixed.at(-1)!), ...growthRows(mixed[options.shapes.length - 1], mixed.at(-1)!));

    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    log('');
    for (const [i, row] of rows.entries()) {
      log(
        row
          .map((cell, c) => cell.padEnd(widths[c]))
          .join(' | ')
          .trimEnd(),
      );
      if (i === 0) log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    }

    const result = {
      date: started.toISOString(),
      options: {
        database: options.database,
        n: options.n,
        growthN: options.growthN,
        shapes: options.shapes,
        rates: options.rates,
        visitors: options.visitors,
        duration: options.duration,
        connections: options.connections,
        smoke: options.smoke,
        mixedOnly: options.mixedOnly,
      },
      machine: { pinned: canPin, serverCore: SERVER_CORE, loadCore: LOAD_CORE, node: process.version, loadAverage: loadavg() },
      mixed,
      ...classic?.result,
      benchRssMb: rssMb(process.pid),
      table: rows,
    };
    mkdirSync(options.resultsDir, { recursive: true });
    for (const name of [`${options.name ?? options.database}.json`, 'latest.json'])
      writeFileSync(join(options.resultsDir, name), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

export function parseArgs(argv: readonly string[]): Omit<BenchOptions, 'resultsDir' | 'log'> {
  const raw = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    const inline = argv.find((a) => a.startsWith(`--${name}=`));
    return inline ? inline.slice(name.length + 3) : i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (name: string, text = raw(name)) => {
    if (text === undefined) return undefined;
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const smoke = argv.includes('--smoke');
  const database = raw('database') ?? 'sqlite';
  if (database !== 'sqlite' && database !== 'postgres') throw new Error('--database must be sqlite or postgres');
  const shapes = (raw('shape') ?? (smoke ? '8x2y' : Object.keys(benchShapes).join(','))).split(',').map(parseShape);
  const rates = (raw('rate') ?? (smoke ? '50' : '50,500')).split(',').map((r) => number('rate', r)!);
  const growthN = number('growth-n');
  return {
    database,
    smoke,
    n: number('n') ?? (smoke ? 2000 : 1_000_000),
    duration: number('duration') ?? (smoke ? 1 : 10),
    connections: number('connections') ?? 32,
    shapes,
    rates,
    visitors: number('visitors') ?? 1,
    mixedOnly: argv.includes('--mixed-only'),
    ...(growthN ? { growthN } : {}),
    ...(raw('name') ? { name: raw('name') } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBench({ ...parseArgs(process.argv.slice(2)), resultsDir: join(projectRoot, 'bench', 'results') });
}

/** How long the demo city takes to generate, with the demo's own settings apart from a cheap password hash. */
async function measureDemo(path: string): Promise<{ responses: number; ms: number }> {
  const { store } = openSqliteStore({ DATABASE_PATH: path });
  try {
    const started = performance.now();
    const { responses } = await generateDemo(store, { seed: 1, asOf: new Date().toISOString().slice(0, 10), passwordCost: 10 });
    return { responses, ms: performance.now() - started };
  } finally {
    await store.close();
  }
}
