import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/db/client.js';
import { exited, prepareDatabase, startServerProcess, submissionBody } from '../../scripts/lib/crash-round.js';
import { compiledServer, tempDir } from '../helper/app.js';

const server = compiledServer();

t.test('SIGTERM finishes in-flight submissions, stops accepting and closes the database cleanly', async (t) => {
  const databasePath = join(tempDir(t), 'shutdown.db');
  prepareDatabase(databasePath);
  const { child, url } = await startServerProcess(server, { DATABASE_PATH: databasePath });
  const acknowledged: string[] = [];
  let stop = false;
  let sequence = 0;
  const worker = async () => {
    while (!stop) {
      const marker = `term-${sequence++}`;
      try {
        const res = await fetch(`${url}/surveys/community-trust`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: submissionBody(marker), redirect: 'manual' });
        await res.arrayBuffer();
        if (res.status === 303) acknowledged.push(marker);
      } catch {
        return;
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.kill('SIGTERM');
  const code = await exited(child);
  stop = true;
  await Promise.all(workers);

  t.equal(code, 0, 'a clean exit');
  t.ok(acknowledged.length > 10, `under load (${acknowledged.length} acknowledged)`);
  t.notOk(existsSync(`${databasePath}-wal`), 'the write-ahead log was checkpointed and removed on close');
  await t.rejects(fetch(`${url}/healthz`), 'no longer accepting connections');
  const handle = openDatabase(databasePath);
  t.teardown(() => handle.close());
  const stored = new Set((handle.sqlite.prepare("SELECT value_text FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'").all() as { value_text: string }[]).map((r) => r.value_text));
  t.same(acknowledged.filter((m) => !stored.has(m)), [], 'every acknowledged submission is stored');
});
