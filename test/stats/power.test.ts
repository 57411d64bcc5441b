import t from 'tap';
import { minimumDetectableChange, responsesToDetect } from '../../src/stats/power.js';

t.test('minimum detectable change: 2.80 standard errors', async (t) => {
  t.equal(minimumDetectableChange(5), 14);
});

t.test('responses needed to detect a change', async (t) => {
  // Before: sd 25, n 100 (variance 6.25). A 10-point change needs a total variance of (10/2.8)² = 12.755;
  // the after-window (sd 25) then needs 625 / (12.755 − 6.25) = 96.08, so 97 responses: 57 more than 40.
  t.equal(responsesToDetect(10, { n: 40, sd: 25 }, 6.25), 57);
  t.equal(responsesToDetect(10, { n: 200, sd: 25 }, 6.25), 0, 'already enough');
  t.equal(responsesToDetect(10, { n: 40, sd: 25 }, 13), null, 'not reachable when the rest alone is too noisy');
});
