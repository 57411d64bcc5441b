import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Runs the compiled test files (dist/test) with tap, several files to a process. Each process pays 1.5–2.5 CPU-s to
// load tap and the app under tap's module hooks (Node 20 runs them on a separate thread): one process per file, the 119
// runs took 425 s on two cores; in 12 processes, 252 s (the 134 runs of 2026-12-02: 262 s, both cores busy throughout;
// the 146 runs later that day, 620–725 s of tap, in 12 groups sized by figures a third to a half of today's `seconds`).
// Every file runs on SQLite; every file that builds the app or opens the suite's store runs on PostgreSQL too, but for
// test/sqlite-only.txt. A group's files run one after another, in one process with the same database (TEST_DATABASE,
// read by test/helper/app.ts when it loads).
const args = process.argv.slice(2);
const quick = take('--quick');
const database = take('--database=sqlite') ? 'sqlite' : take('--database=postgres') ? 'postgres' : 'both';
const databases = database === 'both' ? ['sqlite', 'postgres'] : [database];
/** Removes a flag of ours from the arguments; the rest go to tap (e.g. --bail). */
function take(flag: string): boolean {
  const index = args.indexOf(flag);
  if (index >= 0) args.splice(index, 1);
  return index >= 0;
}

// Left out between commits (npm run test:quick): Chromium, the crash rounds and the benchmark's own runs.
const slow = ['test/browser/', 'test/accessibility/', 'test/security/xss.test.ts', 'test/ops/crash.test.ts', 'test/bench/'];

// About how many seconds of one core a file takes in a group, on SQLite and, for a file that runs there too, on PostgreSQL.
// Measured 2026-12-02 on the shared 2-core machine (load about 4), one file at a time: the user + system CPU of
// `npx tap --disable-coverage <file>` with its children (Chromium) and, on PostgreSQL, the server's processes, less what
// a file of two one-request tests costs (7.7 s on SQLite, test/plugins/request-context; 10.6 s on PostgreSQL,
// test/neighborhoods/routes): npx, tap, and loading tap and the app, which a group pays once. The demo-city files run as
// one unit and share their measured total (35 s, 42 s) as their earlier figures did. "Earlier, scaled": not measured
// today, an earlier figure (then without Chromium and the server) × 3 on SQLite and × 2 on PostgreSQL, the median ratio
// where both exist. Files not listed count as 1. Only the grouping uses this: a wrong figure makes the suite slower,
// never runs a test less.
const seconds: Record<string, number | [sqlite: number, postgres: number]> = {
  'test/results/real-volumes.test.ts': [34, 68],
  'test/bench/smoke.test.ts': 59,
  'test/security/disclosure-attack.test.ts': [31, 57],
  'test/security/disclosure-attack-weighted.test.ts': [20, 33],
  'test/browser/resident-layout.test.ts': 32,
  'test/ops/crash.test.ts': 32,
  'test/browser/results.test.ts': 31,
  'test/public/routes.test.ts': [14, 24],
  'test/security/fuzz.test.ts': [11, 22],
  'test/browser/staff-confirm.test.ts': 20,
  'test/db/multi-instance.test.ts': 20,
  'test/ops/rollups.test.ts': [12, 19],
  'test/scripts/cli.test.ts': 19,
  'test/results/routes.test.ts': [9, 14],
  'test/browser/public.test.ts': 13,
  'test/browser/brief.test.ts': 12,
  'test/demo/generate.test.ts': [3, 12],
  'test/margins/routes.test.ts': [3, 12],
  'test/security/xss.test.ts': [12, 2], // both earlier, scaled
  'test/security/sample-disclosure.test.ts': [11, 10], // PostgreSQL: earlier, scaled
  'test/auth/routes.test.ts': [6, 10], // both earlier, scaled
  'test/ops/timeouts.test.ts': 10,
  'test/security/quarantine.test.ts': [10, 10], // PostgreSQL: earlier, scaled
  'test/survey/routes.test.ts': [6, 10], // both earlier, scaled
  'test/accessibility/resident-pages.test.ts': 9,
  'test/browser/kiosk-offline.test.ts': 9,
  'test/export/routes.test.ts': [6, 8], // both earlier, scaled
  'test/mailings/routes.test.ts': [6, 8], // both earlier, scaled
  'test/outreach/routes.test.ts': [3, 8], // both earlier, scaled
  'test/survey-editor/routes.test.ts': [6, 8], // both earlier, scaled
  'test/browser/admin.test.ts': 7,
  'test/browser/survey.test.ts': 7,
  'test/events/routes.test.ts': [7, 7],
  'test/ops/shutdown.test.ts': 7,
  'test/browser/chart-colors.test.ts': 6, // earlier, scaled
  'test/db/store-contract.test.ts': 6, // earlier, scaled
  'test/import/routes.test.ts': [3, 6], // both earlier, scaled
  'test/kiosk/receipts.test.ts': [3, 6], // both earlier, scaled
  'test/security/authorization.test.ts': [6, 6], // both earlier, scaled
  'test/survey/anonymity.test.ts': 6, // earlier, scaled
  'test/themes/routes.test.ts': [3, 6], // both earlier, scaled
  'test/import/large.test.ts': 5,
  'test/results/export.test.ts': [3, 4], // both earlier, scaled
  'test/results/weighting.test.ts': [3, 4], // both earlier, scaled
  'test/staff/routes.test.ts': [3, 4], // both earlier, scaled
  'test/voids/routes.test.ts': [3, 4], // both earlier, scaled
  'test/neighborhoods/routes.test.ts': [3, 1], // SQLite: earlier, scaled; PostgreSQL: the baseline
  'test/public/data-json.test.ts': [2, 2],
  'test/public/neighborhood.test.ts': [2, 2],
  'test/results/brief.test.ts': [2, 2],
};
const weight = (file: string, database: string) => {
  const figure = seconds[file] ?? 1;
  return typeof figure === 'number' ? figure : figure[database === 'sqlite' ? 0 : 1];
};
// A group holds up to this many seconds of work: few processes, yet small enough that the two cores finish together and
// that a group stays well inside tap's 180 s per process on a busy machine. With the figures above (2026-12-02): 30
// processes, each job about 550 s of one core on the busy machine counting 3 s of loading per process; the heaviest
// processes are single files (real-volumes on PostgreSQL 68 s, the bench smoke run 59 s, the disclosure attack on
// PostgreSQL 57 s), under 180 s even at half a core each.
const GROUP_SECONDS = 35;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
      return entry.name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const sqliteOnly = readFileSync('test/sqlite-only.txt', 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter(Boolean);
const usesDatabase = (file: string) => /buildTestApp\(|buildDemoApp\(|openTestStore\(/.test(readFileSync(file, 'utf8'));
// Files on the demo city (buildDemoApp): test/helper/demo.ts generates it once per process and copies it for each test,
// so they share a group and the city is generated once per database instead of once per file.
const onDemoCity = (file: string) => /buildDemoApp\(/.test(readFileSync(file, 'utf8'));
const all = testFiles('test').filter((file) => !(quick && slow.some((prefix) => file.startsWith(prefix))));
const runs = databases.flatMap((database) =>
  (database === 'sqlite' ? all : all.filter((file) => usesDatabase(file) && !sqliteOnly.some((prefix) => file.startsWith(prefix)))).map((file) => ({
    database,
    file,
    seconds: weight(file, database),
  })),
);

// Units of work: a file, or all the files of a database on the demo city.
type Run = (typeof runs)[number];
const units = databases.flatMap((database) => {
  const mine = runs.filter((run) => run.database === database);
  const demo = mine.filter((run) => onDemoCity(run.file));
  return [...mine.filter((run) => !demo.includes(run)).map((run) => [run]), ...(demo.length > 0 ? [demo] : [])];
});
const unitSeconds = (unit: Run[]) => unit.reduce((sum, run) => sum + run.seconds, 0);

// Per database, the fewest groups that hold its units within GROUP_SECONDS, filled longest first, each unit into the
// lightest group: the groups come out within a small unit of each other, so the two jobs finish together (a unit over
// GROUP_SECONDS is a group of its own).
const bySize = (a: Run[], b: Run[]) => unitSeconds(b) - unitSeconds(a) || a[0].file.localeCompare(b[0].file);
const groups: { database: string; files: Run[]; seconds: number }[] = [];
for (const database of databases) {
  const mine = units.filter((unit) => unit[0].database === database).sort(bySize);
  const total = mine.reduce((sum, unit) => sum + unitSeconds(unit), 0);
  for (let count = Math.max(1, Math.ceil(total / GROUP_SECONDS)); ; count++) {
    const filled = Array.from({ length: count }, () => ({ database, files: [] as Run[], seconds: 0, units: 0 }));
    for (const unit of mine) {
      const lightest = filled.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      lightest.files.push(...unit);
      lightest.seconds += unitSeconds(unit);
      lightest.units++;
    }
    if (filled.every((group) => group.seconds <= GROUP_SECONDS || group.units === 1)) {
      groups.push(...filled.filter((group) => group.units > 0).map(({ units: _, ...group }) => group));
      break;
    }
  }
}
groups.sort((a, b) => b.seconds - a.seconds);

// tap runs its files in name order: the numbers start the heaviest groups first.
const out = 'dist/test-groups';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Static imports, so that every file has registered its tests before the first one runs: with dynamic imports in turn,
// tap ended the process's tests while the next file was still loading (tap's module hooks keep no event-loop handle)
// and silently dropped the rest. The database module comes first, as the helper reads TEST_DATABASE when it loads.
for (const database of databases) writeFileSync(join(out, `${database}.js`), `process.env.TEST_DATABASE = '${database}';\n`);
const entries = groups.map((group, index) => {
  const files = group.files.map((run) => run.file).sort();
  const name = `${String(index + 1).padStart(2, '0')}-${group.database}.test.js`;
  const imports = files.map((file) => `import '${relative(out, join('dist', file)).replace(/\.ts$/, '.js')}';`);
  const header = `// Made by scripts/run-suite.ts: ${files.length} test files in one process, on ${group.database}.`;
  writeFileSync(join(out, name), [header, `import './${group.database}.js';`, ...imports, ''].join('\n'));
  return join(out, name);
});
const counts = databases.map((database) => `${runs.filter((run) => run.database === database).length} on ${database}`).join(', ');
console.log(`# ${runs.length} test file runs (${counts}) in ${entries.length} processes`);

const tap = spawn('npx', ['tap', ...(quick ? ['--disable-coverage'] : []), ...args, ...entries], { stdio: 'inherit' });
tap.once('exit', (status, signal) => process.exit(status ?? (signal ? 1 : 0)));
