import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { openSqliteStore } from '../../src/db/open.js';
import { backupDatabase } from '../../src/db/sqlite/backup.js';
import { storedMarkers, submissionLoad } from '../../scripts/lib/crash-round.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';

t.test('an online backup under load is consistent and holds every response acknowledged before it began', async (t) => {
  const { app, store, config } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '1000000' });
  await addNeighborhoods(store, 'Crash Town');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const load = submissionLoad(url, 8, 'backup');
  await load.whenAcknowledged(20);
  const before = [...load.acknowledged];
  const destination = join(config.DATABASE_PATH, '..', 'backup.db');
  await backupDatabase(config.DATABASE_PATH, destination);
  await load.whenAcknowledged(load.acknowledged.length + 10); // residents kept being answered after the copy
  await load.stop();

  t.ok(before.length > 5, `load was running (${before.length} acknowledged before the backup)`);
  const copy = new Database(destination, { readonly: true });
  t.teardown(() => copy.close());
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
  const { store: copyStore } = openSqliteStore({ DATABASE_PATH: destination });
  const inCopy = await storedMarkers(copyStore);
  await copyStore.close();
  t.same(
    before.filter((m) => !inCopy.has(m)),
    [],
    'every earlier acknowledged response is in the copy',
  );
  const partial = copy.prepare('SELECT count(*) AS n FROM responses r WHERE (SELECT count(*) FROM answers a WHERE a.response_id = r.id) <> 4').get() as {
    n: number;
  };
  t.equal(partial.n, 0, 'no response is in the copy without its answers');
});
