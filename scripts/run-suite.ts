import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Runs the compiled test files (dist/test) with tap, several files to a process. Each process pays 1.5–2.5 CPU-s to
// load tap and the app under tap's module hooks (Node 20 runs them on a separate thread): one process per file, the 119
// runs took 425 s on two cores; in 12 processes, 252 s (the 134 runs of 2026-12-02: 262 s, both cores busy throughout).
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

// About how many seconds of one core a file takes in a group, on SQLite and, for a file that runs there too, on PostgreSQL
// (its CPU time and the server's; measured 2026-12-02, the module loading a group shares left out). Files not listed
// count as 1. Only the grouping uses this: a wrong figure makes the suite slower, never runs a test less.
const seconds: Record<string, number | [sqlite: number, postgres: number]> = {
  'test/results/real-volumes.test.ts': [19, 34],
  'test/security/disclosure-attack.test.ts': [23, 29],
  'test/security/disclosure-attack-weighted.test.ts': [13, 15],
  'test/public/routes.test.ts': [9, 18],
  'test/bench/smoke.test.ts': 17,
  'test/security/fuzz.test.ts': [6, 8],
  'test/browser/results.test.ts': 12,
  'test/demo/generate.test.ts': [3, 9],
  'test/browser/resident-layout.test.ts': 10,
  'test/margins/routes.test.ts': [3, 7],
  'test/results/routes.test.ts': [3, 7],
  'test/browser/kiosk-offline.test.ts': 9,
  'test/events/routes.test.ts': [3, 6],
  'test/ops/rollups.test.ts': [2, 7],
  'test/security/quarantine.test.ts': [3, 5],
  'test/security/sample-disclosure.test.ts': [3, 5],
  'test/auth/routes.test.ts': [2, 5],
  'test/browser/brief.test.ts': 7,
  'test/import/large.test.ts': 7,
  'test/survey/routes.test.ts': [2, 5],
  'test/browser/staff-confirm.test.ts': 6,
  'test/export/routes.test.ts': [2, 4],
  'test/mailings/routes.test.ts': [2, 4],
  'test/ops/crash.test.ts': 6,
  'test/survey-editor/routes.test.ts': [2, 4],
  'test/browser/admin.test.ts': 5,
  'test/browser/public.test.ts': 5,
  'test/outreach/routes.test.ts': [1, 4],
  'test/security/authorization.test.ts': [2, 3],
  'test/security/xss.test.ts': [4, 1],
  'test/db/multi-instance.test.ts': 4,
  'test/import/routes.test.ts': [1, 3],
  'test/kiosk/receipts.test.ts': [1, 3],
  'test/ops/shutdown.test.ts': 4,
  'test/ops/timeouts.test.ts': 4,
  'test/themes/routes.test.ts': [1, 3],
  'test/accessibility/resident-pages.test.ts': 3,
  'test/browser/survey.test.ts': 3,
  'test/neighborhoods/routes.test.ts': [1, 2],
  'test/public/data-json.test.ts': [1, 2],
  'test/public/neighborhood.test.ts': [1, 2],
  'test/results/brief.test.ts': [1, 2],
  'test/results/export.test.ts': [1, 2],
  'test/results/weighting.test.ts': [1, 2],
  'test/scripts/cli.test.ts': 3,
  'test/staff/routes.test.ts': [1, 2],
  'test/voids/routes.test.ts': [1, 2],
  'test/browser/chart-colors.test.ts': 2,
  'test/db/store-contract.test.ts': 2,
  'test/survey/anonymity.test.ts': 2,
};
const weight = (file: string, database: string) => {
  const figure = seconds[file] ?? 1;
  return typeof figure === 'number' ? figure : figure[database === 'sqlite' ? 0 : 1];
};
// A group holds up to this many seconds of work: few processes, yet small enough that the two cores finish together and
// that a group stays well inside tap's 180 s per process on a busy machine.
const GROUP_SECONDS = 45;

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

// Longest first, each into the lightest group of its database that has room (a heavy unit gets a group of its own).
const groups: { database: string; files: Run[]; seconds: number }[] = [];
for (const unit of units.sort((a, b) => unitSeconds(b) - unitSeconds(a) || a[0].file.localeCompare(b[0].file))) {
  const { database } = unit[0];
  const seconds = unitSeconds(unit);
  const fits = groups.filter((group) => group.database === database && group.seconds + seconds <= GROUP_SECONDS).sort((a, b) => a.seconds - b.seconds)[0];
  if (fits) {
    fits.files.push(...unit);
    fits.seconds += seconds;
  } else groups.push({ database, files: [...unit], seconds });
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
