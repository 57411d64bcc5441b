import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { backupDatabase } from '../../src/ops/backup.js';
import { submissionBody } from '../../scripts/lib/crash-round.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';

t.test('an online backup under load is consistent and holds every response acknowledged before it began', async (t) => {
  const { app, database, config } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '1000000' });
  addNeighborhoods(database, 'Crash Town');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const acknowledged: string[] = [];
  let stop = false;
  let sequence = 0;
  const worker = async () => {
    while (!stop) {
      const marker = `backup-${sequence++}`;
      const res = await fetch(`${url}/surveys/community-trust`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: submissionBody(marker), redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === 303) acknowledged.push(marker);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = [...acknowledged];
  const destination = join(config.DATABASE_PATH, '..', 'backup.db');
  await backupDatabase(config.DATABASE_PATH, destination);
  await new Promise((resolve) => setTimeout(resolve, 100));
  stop = true;
  await Promise.all(workers);

  t.ok(before.length > 5, `load was running (${before.length} acknowledged before the backup)`);
  const copy = new Database(destination, { readonly: true });
  t.teardown(() => copy.close());
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
  const inCopy = new Set((copy.prepare("SELECT value_text FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'").all() as { value_text: string }[]).map((r) => r.value_text));
  t.same(before.filter((m) => !inCopy.has(m)), [], 'every earlier acknowledged response is in the copy');
  const partial = copy.prepare('SELECT count(*) AS n FROM responses r WHERE (SELECT count(*) FROM answers a WHERE a.response_id = r.id) <> 4').get() as { n: number };
  t.equal(partial.n, 0, 'no response is in the copy without its answers');
});
