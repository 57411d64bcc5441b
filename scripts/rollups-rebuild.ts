import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { rebuildRollups } from '../src/ops/rollups.js';

// `npm run rollups:rebuild`: recomputes scores and rollups (monthly, group, answer, text) of DATABASE_PATH from the stored answers.
const config = loadConfig();
const store = await openStore(config);
const started = Date.now();
const { responses, scores, rollups } = await rebuildRollups(store, config.TIME_ZONE);
await store.close();
console.log(`Rebuilt ${scores} scores of ${responses} responses and ${rollups} rollup cells in ${Date.now() - started} ms.`);
