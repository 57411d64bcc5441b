import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createLoginThrottle } from '../../src/auth/login-throttle.js';
import { openTestStore } from '../helper/app.js';

const A = '198.51.100.1';

async function throttleAt(t: Parameters<typeof openTestStore>[0], clock: () => number) {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  return { store, throttle: createLoginThrottle(store, randomBytes(32), clock) };
}

t.test('five free failures, then a lock that doubles, reset by success', async (t) => {
  let clock = 1_000_000;
  const { throttle } = await throttleAt(t, () => clock);
  for (let i = 0; i < 4; i++) t.equal(await throttle.fail('a@example.org', A), 0);
  t.equal(await throttle.lockedFor('a@example.org', A), 0, 'four failures: no lock');
  t.equal(await throttle.fail('a@example.org', A), 30_000, 'the failure that locks says so');
  t.equal(await throttle.lockedFor('a@example.org', A), 30_000, 'fifth failure: 30 s');
  clock += 30_000;
  t.equal(await throttle.lockedFor('a@example.org', A), 0, 'the lock ends');
  await throttle.fail('a@example.org', A);
  t.equal(await throttle.lockedFor('a@example.org', A), 60_000, 'then 60 s');
  for (let i = 0; i < 20; i++) await throttle.fail('a@example.org', A);
  t.equal(await throttle.lockedFor('a@example.org', A), 15 * 60_000, 'capped at 15 minutes');
  t.equal(await throttle.lockedFor('b@example.org', A), 0, 'other emails unaffected');
  await throttle.succeed('a@example.org', A);
  t.equal(await throttle.lockedFor('a@example.org', A), 0);
});

t.test('a lock holds for one email from one client only, and failures decay', async (t) => {
  let clock = 1_000_000;
  const { throttle } = await throttleAt(t, () => clock);
  for (let i = 0; i < 5; i++) await throttle.fail('admin@example.org', A);
  t.equal(await throttle.lockedFor('admin@example.org', A), 30_000);
  t.equal(await throttle.lockedFor('admin@example.org', '203.0.113.5'), 0, "a stranger's failures do not lock the owner out");
  clock += 30_000 + 15 * 60_000 + 1;
  t.equal(await throttle.fail('admin@example.org', A), 0, 'after 15 quiet minutes the count starts again');
  for (let i = 0; i < 3; i++) await throttle.fail('admin@example.org', A);
  t.equal(await throttle.lockedFor('admin@example.org', A), 0, 'four fresh failures: no lock');
});

t.test('lockouts live in the database: a second server sees them, and neither email nor address is stored', async (t) => {
  const clock = () => 1_000_000;
  const { store, throttle } = await throttleAt(t, clock);
  const secret = randomBytes(32);
  const one = createLoginThrottle(store, secret, clock);
  const other = createLoginThrottle(store, secret, clock);
  for (let i = 0; i < 5; i++) await (i % 2 ? one : other).fail('admin@example.org', A);
  t.equal(await other.lockedFor('admin@example.org', A), 30_000, 'failures at both servers add up, and both see the lock');
  t.equal(await throttle.lockedFor('admin@example.org', A), 0, 'a throttle with another key knows nothing of them');
  const rows = await store.read((db) => db.select().from(store.tables.loginFailures));
  t.equal(rows.length, 1);
  t.notMatch(JSON.stringify(rows), /admin|example|198\.51/, 'only a keyed hash of the pair');
});

t.test('forgotten failures are deleted when another one is counted', async (t) => {
  let clock = 1_000_000;
  const { store, throttle } = await throttleAt(t, () => clock);
  await throttle.fail('a@example.org', A);
  clock += 15 * 60_000 + 1;
  await throttle.fail('b@example.org', A);
  t.equal((await store.read((db) => db.select().from(store.tables.loginFailures))).length, 1, 'only the fresh one is kept');
});
