import t from 'tap';
import { createLoginThrottle } from '../../src/auth/login-throttle.js';

const A = '198.51.100.1';

t.test('five free failures, then a lock that doubles, reset by success', async (t) => {
  let clock = 1_000_000;
  const throttle = createLoginThrottle(() => clock);
  for (let i = 0; i < 4; i++) t.equal(throttle.fail('a@example.org', A), 0);
  t.equal(throttle.lockedFor('a@example.org', A), 0, 'four failures: no lock');
  t.equal(throttle.fail('a@example.org', A), 30_000, 'the failure that locks says so');
  t.equal(throttle.lockedFor('a@example.org', A), 30_000, 'fifth failure: 30 s');
  clock += 30_000;
  t.equal(throttle.lockedFor('a@example.org', A), 0, 'the lock ends');
  throttle.fail('a@example.org', A);
  t.equal(throttle.lockedFor('a@example.org', A), 60_000, 'then 60 s');
  for (let i = 0; i < 20; i++) throttle.fail('a@example.org', A);
  t.equal(throttle.lockedFor('a@example.org', A), 15 * 60_000, 'capped at 15 minutes');
  t.equal(throttle.lockedFor('b@example.org', A), 0, 'other emails unaffected');
  throttle.succeed('a@example.org', A);
  t.equal(throttle.lockedFor('a@example.org', A), 0);
});

t.test('a lock holds for one email from one client only, and failures decay', async (t) => {
  let clock = 1_000_000;
  const throttle = createLoginThrottle(() => clock);
  for (let i = 0; i < 5; i++) throttle.fail('admin@example.org', A);
  t.equal(throttle.lockedFor('admin@example.org', A), 30_000);
  t.equal(throttle.lockedFor('admin@example.org', '203.0.113.5'), 0, "a stranger's failures do not lock the owner out");
  clock += 30_000 + 15 * 60_000 + 1;
  t.equal(throttle.fail('admin@example.org', A), 0, 'after 15 quiet minutes the count starts again');
  for (let i = 0; i < 3; i++) throttle.fail('admin@example.org', A);
  t.equal(throttle.lockedFor('admin@example.org', A), 0, 'four fresh failures: no lock');
});
