import t from 'tap';
import { addSums, emptySums, subtractSums, summarize, sumsOf } from '../../src/stats/summary.js';

t.test('mean, sd and 95% t interval of a small known sample', async (t) => {
  // Worked by hand: values 2,4,4,4,5,5,7,9 → mean 5, sample variance 32/7, sd 2.13809, se 0.755929,
  // t(0.975, 7) = 2.364624 → half-width 1.787479.
  const s = summarize(sumsOf([2, 4, 4, 4, 5, 5, 7, 9]))!;
  t.equal(s.n, 8);
  t.equal(s.mean, 5);
  t.ok(Math.abs(s.sd - 2.13809) < 1e-5);
  t.ok(Math.abs(s.se - 0.755929) < 1e-6);
  t.ok(Math.abs(s.ciLow - (5 - 1.787479)) < 1e-5);
  t.ok(Math.abs(s.ciHigh - (5 + 1.787479)) < 1e-5);
});

t.test('sums combine like concatenated samples', async (t) => {
  const a = sumsOf([10, 20, 30]);
  const b = sumsOf([40, 50]);
  t.same(addSums(a, b), sumsOf([10, 20, 30, 40, 50]));
  t.same(addSums(emptySums, a), a);
  t.same(subtractSums(sumsOf([10, 20, 30, 40, 50]), b), a, 'the rest of a total');
});

t.test('no interval for fewer than two values; identical values give zero width', async (t) => {
  t.equal(summarize(sumsOf([])), null);
  t.equal(summarize(sumsOf([50])), null);
  const flat = summarize(sumsOf([70, 70, 70]))!;
  t.equal(flat.sd, 0);
  t.equal(flat.ciLow, 70);
  t.equal(flat.ciHigh, 70);
});
