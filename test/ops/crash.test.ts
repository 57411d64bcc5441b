import { join } from 'node:path';
import t from 'tap';
import { crashRound } from '../../scripts/lib/crash-round.js';
import { compiledServer, tempDir } from '../helper/app.js';

// The real, compiled server (as in production), killed with SIGKILL mid-load, several times.
const server = compiledServer();

t.test('every acknowledged submission survives SIGKILL, nothing is half-written', async (t) => {
  const databasePath = join(tempDir(t), 'crash.db');
  let total = 0;
  // Kill points counted in acknowledged submissions (early, mid-load, later), so a slow machine cannot miss the load.
  for (const killAfter of [10, 80, 250]) {
    const result = await crashRound({ server, databasePath, killAfter, concurrency: 16, label: `kill${killAfter}` });
    total += result.acknowledged;
    t.same(result.lostAcknowledged, [], `kill after ${killAfter} acknowledged: no acknowledged submission lost (${result.acknowledged} acknowledged)`);
    t.equal(result.halfWritten, 0, 'no response without all its answers and scores');
    t.notOk(result.rollupMismatch, 'rollups match the stored scores');
    t.equal(result.integrity, 'ok');
    t.ok(result.restartedHealthy, 'the server restarts on the same file');
  }
  t.ok(total >= 340, `the kills landed under load (${total} acknowledged in all)`);
});
