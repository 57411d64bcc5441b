import { existsSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { dateIn } from '../src/dates.js';
import { openStore } from '../src/db/open.js';
import { builtVolume, demoStaff, demoVolumeLabel, generateDemo } from '../src/demo/generate.js';
import { startServer } from '../src/server.js';

// `--volume chicago` (default): Chicago's per-capita rate, as real departments get; `high`: 20 times that;
// or any multiple of Chicago's rate.
const { values } = parseArgs({ options: { volume: { type: 'string', default: 'chicago' } } });
const volumes: Record<string, number> = { chicago: 1, high: 20 };
const volume = volumes[values.volume] ?? Number(values.volume);
if (!Number.isFinite(volume) || volume <= 0) {
  console.error(`--volume must be chicago, high or a positive multiple of Chicago's rate (got ${values.volume})`);
  process.exit(2);
}

// The demo keeps its own database so it never mixes with real responses.
process.env.DATABASE_PATH ??= './data/demo.db';
const config = loadConfig();

if (existsSync(config.DATABASE_PATH)) {
  const store = await openStore(config);
  const built = await builtVolume(store);
  await store.close();
  if (built !== demoVolumeLabel({ volume })) {
    console.log(`The demo database was built at another volume (${built ?? 'unknown'}); rebuilding it.`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${config.DATABASE_PATH}${suffix}`, { force: true });
  }
}

if (!existsSync(config.DATABASE_PATH)) {
  const asOf = dateIn(config.TIME_ZONE);
  console.log(`Building the demo database at ${config.DATABASE_PATH} (responses up to ${asOf}, ${volume}× Chicago's rate)…`);
  const started = Date.now();
  const store = await openStore(config);
  const { responses } = await generateDemo(store, { seed: 2026, asOf, volume, passwordCost: config.PASSWORD_HASH_COST, timeZone: config.TIME_ZONE });
  await store.close();
  console.log(`Built ${responses.toLocaleString('en')} responses in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

await startServer(config);
console.log(`\nCommon Ground demo: ${config.PUBLIC_URL}`);
console.log(`Resident survey:    ${config.PUBLIC_URL}/surveys/community-trust`);
console.log(`Public results:     ${config.PUBLIC_URL}/public/community-trust`);
console.log(`Staff results:      ${config.PUBLIC_URL}/results (after logging in)`);
console.log('Staff log in at /login with these demo accounts:');
for (const s of demoStaff) console.log(`  ${s.role.padEnd(8)} ${s.email}  password: ${s.password}`);
