import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { staffSessions } from './helper/admin.js';
import { buildTestApp } from './helper/app.js';

// Staff pages' statistics run on a worker thread the operating system schedules after the event loop (Linux niceness),
// so a resident's submission gets a core first.

/** Each thread of this process and its niceness (/proc/self/task/<tid>/stat, field 19). */
function niceness(): Map<number, number> {
  return new Map(
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    }),
  );
}

t.test('the figures are computed on a thread of lower priority than the event loop', async (t) => {
  const { app } = await buildTestApp(t);
  const { asLiaison } = await staffSessions(app);
  t.equal((await asLiaison.get('/api/trends')).statusCode, 200);
  const threads = niceness();
  t.equal(threads.get(process.pid), 0, 'the event loop at the process priority');
  t.ok([...threads.values()].includes(10), 'a worker thread at niceness 10');
});
