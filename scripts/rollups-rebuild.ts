import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/sqlite/client.js';
import { rebuildRollups } from '../src/ops/rollups.js';

// `npm run rollups:rebuild`: recomputes scores and daily rollups of DATABASE_PATH from the stored answers.
const config = loadConfig();
const handle = openDatabase(config.DATABASE_PATH);
const started = Date.now();
const { responses, scores, rollups } = rebuildRollups(handle.sqlite);
handle.close();
console.log(`Rebuilt ${scores} scores of ${responses} responses and ${rollups} daily rollups in ${Date.now() - started} ms.`);
