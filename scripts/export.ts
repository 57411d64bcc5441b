import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { recordAudit } from '../src/audit/record.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/sqlite/client.js';
import { auditedFilters, exportFilters } from '../src/export/options.js';
import { resolveExport } from '../src/export/resolve.js';
import { exportCsvStream } from '../src/export/stream.js';

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
const handle = openDatabase(config.DATABASE_PATH);
const resolved = resolveExport(handle, parsed.data);
if (!resolved.ok) {
  console.error(
    Object.entries(resolved.errors)
      .map(([field, message]) => `--${field}: ${message}`)
      .join('\n'),
  );
  process.exit(1);
}
// A scheduled export is audited like one from the browser, with no staff member.
recordAudit(handle.db, {
  userId: null,
  action: `export.${parsed.data.format}`,
  entity: 'survey',
  entityId: resolved.request.survey.id,
  details: { ...auditedFilters(parsed.data), via: 'command line' },
});
handle.close();
await pipeline(exportCsvStream(config.DATABASE_PATH, resolved.request), process.stdout);
