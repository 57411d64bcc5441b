import t from 'tap';
import { createLoginThrottle } from '../../src/auth/login-throttle.js';

t.test('five free failures, then a lock that doubles, reset by success', async (t) => {
  let clock = 1_000_000;
  const throttle = createLoginThrottle(() => clock);
  for (let i = 0; i < 4; i++) throttle.fail('a@example.org');
  t.equal(throttle.lockedFor('a@example.org'), 0, 'four failures: no lock');
  throttle.fail('a@example.org');
  t.equal(throttle.lockedFor('a@example.org'), 30_000, 'fifth failure: 30 s');
  clock += 30_000;
  t.equal(throttle.lockedFor('a@example.org'), 0, 'the lock ends');
  throttle.fail('a@example.org');
  t.equal(throttle.lockedFor('a@example.org'), 60_000, 'then 60 s');
  for (let i = 0; i < 20; i++) throttle.fail('a@example.org');
  t.equal(throttle.lockedFor('a@example.org'), 15 * 60_000, 'capped at 15 minutes');
  t.equal(throttle.lockedFor('b@example.org'), 0, 'other emails unaffected');
  throttle.succeed('a@example.org');
  t.equal(throttle.lockedFor('a@example.org'), 0);
});
