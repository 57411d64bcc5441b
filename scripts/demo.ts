import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { dateIn } from '../src/dates.js';
import { openDatabase } from '../src/db/client.js';
import { demoStaff, generateDemo } from '../src/demo/generate.js';
import { startServer } from '../src/server.js';

// The demo keeps its own database so it never mixes with real responses.
process.env.DATABASE_PATH ??= './data/demo.db';
const config = loadConfig();

if (!existsSync(config.DATABASE_PATH)) {
  const asOf = dateIn(config.TIME_ZONE);
  console.log(`Building the demo database at ${config.DATABASE_PATH} (responses up to ${asOf})…`);
  const started = Date.now();
  const handle = openDatabase(config.DATABASE_PATH);
  const { responses } = await generateDemo(handle, { seed: 2026, asOf, passwordCost: config.PASSWORD_HASH_COST });
  handle.close();
  console.log(`Built ${responses.toLocaleString('en')} responses in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

await startServer(config);
console.log(`\nCommon Ground demo: ${config.PUBLIC_URL}`);
console.log(`Resident survey:    ${config.PUBLIC_URL}/surveys/community-trust`);
console.log(`Public results:     ${config.PUBLIC_URL}/public/community-trust`);
console.log(`Staff results:      ${config.PUBLIC_URL}/results (after logging in)`);
console.log('Staff log in at /login with these demo accounts:');
for (const s of demoStaff) console.log(`  ${s.role.padEnd(8)} ${s.email}  password: ${s.password}`);
