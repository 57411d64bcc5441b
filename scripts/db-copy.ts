import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPgDatabase } from '../src/db/pg/client.js';
import { copySqliteToPg, CopyError } from '../src/db/pg/copy.js';
import { openDatabase } from '../src/db/sqlite/client.js';

// `npm run db:copy -- --to postgres://…`: moves the SQLite install at DATABASE_PATH into an empty PostgreSQL database,
// then the server is started with DATABASE_URL set to it. Stop the server first: later writes are not copied.
const usage = 'Usage: npm run db:copy -- --to postgres://user:password@host:5432/database   (reads the SQLite file at DATABASE_PATH)';

const args = parseArgs({ options: { to: { type: 'string' } } });
const to = args.values.to;
if (!to || !/^postgres(ql)?:\/\//.test(to) || !URL.canParse(to)) {
  console.error(usage);
  process.exit(2);
}
const config = loadConfig();
if (!existsSync(config.DATABASE_PATH)) {
  console.error(`There is no SQLite database at ${config.DATABASE_PATH} (DATABASE_PATH) to copy.`);
  process.exit(2);
}
const shown = new URL(to);
shown.password = '';

const started = Date.now();
const source = openDatabase(config.DATABASE_PATH);
const target = await openPgDatabase(to, { max: 1 });
try {
  const report = await copySqliteToPg(source, target, { progress: (message) => console.log(message) });
  console.log(`\nCopied ${config.DATABASE_PATH} to ${shown.host}${shown.pathname} in ${Date.now() - started} ms, verified per table:`);
  const width = Math.max(...report.map((r) => r.table.length));
  for (const { table, rows, checksum } of report) console.log(`  ${table.padEnd(width)}  ${String(rows).padStart(9)} rows  sha256 ${checksum}`);
} catch (err) {
  console.error(err instanceof CopyError ? err.message : err);
  process.exitCode = 1;
} finally {
  source.close();
  await target.close();
}
