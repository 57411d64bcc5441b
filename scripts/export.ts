import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { exportFilters } from '../src/export/options.js';
import { createExportRepository } from '../src/export/queries.js';

const usage = `Usage: npm run --silent export -- --survey SLUG [--format wide|long] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
         [--neighborhood SLUG ...] [--channel web|qr|paper|kiosk] [--bom] > answers.csv`;

let args;
try {
  args = parseArgs({
    options: {
      survey: { type: 'string' },
      format: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      neighborhood: { type: 'string', multiple: true },
      channel: { type: 'string' },
      bom: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const parsed = exportFilters.safeParse({ ...args, bom: args.bom ? 'on' : undefined });
if (!parsed.success) {
  console.error(`${parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('\n')}\n${usage}`);
  process.exit(2);
}
const config = loadConfig();
const store = await openStore(config);
const exports = createExportRepository(store);
const resolved = await exports.resolve(parsed.data);
if (!resolved.ok) {
  console.error(
    Object.entries(resolved.errors)
      .map(([field, message]) => `--${field}: ${message}`)
      .join('\n'),
  );
  process.exit(1);
}
// A scheduled export is audited like one from the browser, with no staff member.
await exports.recordExport(null, resolved.request, parsed.data, 'command line');
try {
  await pipeline(exports.csv(resolved.request), process.stdout);
} finally {
  await store.close();
}
