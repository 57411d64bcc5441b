import t from 'tap';
import { tCdf, tQuantile } from '../../src/stats/t-distribution.js';

// Two-sided 95% critical values t(0.975, df) from the standard printed t table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
const table: [number, number][] = [
  [1, 12.706],
  [2, 4.303],
  [5, 2.571],
  [10, 2.228],
  [29, 2.045],
  [30, 2.042],
  [60, 2.0],
  [100, 1.984],
];

t.test('0.975 quantiles match the printed t table to 3 decimals', async (t) => {
  for (const [df, expected] of table) t.equal(Number(tQuantile(0.975, df).toFixed(3)), expected, `df = ${df}`);
});

t.test('large df approaches the normal 1.96', async (t) => {
  t.ok(Math.abs(tQuantile(0.975, 1e6) - 1.959964) < 1e-4);
});

t.test('cdf: symmetric, 0.5 at zero, inverse of the quantile, fractional df', async (t) => {
  t.equal(tCdf(0, 7), 0.5);
  t.ok(Math.abs(tCdf(-1.5, 7) - (1 - tCdf(1.5, 7))) < 1e-12);
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/pi.
  t.ok(Math.abs(tCdf(2, 1) - (0.5 + Math.atan(2) / Math.PI)) < 1e-10);
  t.ok(Math.abs(tCdf(tQuantile(0.9, 12.5), 12.5) - 0.9) < 1e-9);
  t.ok(tQuantile(0.025, 10) < 0);
  t.equal(tQuantile(0.5, 3), 0);
});

t.test('rejects impossible arguments', async (t) => {
  t.throws(() => tQuantile(0, 5), RangeError);
  t.throws(() => tQuantile(1, 5), RangeError);
  t.throws(() => tQuantile(0.9, 0), RangeError);
});

t.test('a remembered quantile equals a freshly computed one', (t) => {
  const first = tQuantile(0.975, 123457);
  t.equal(tQuantile(0.975, 123457), first);
  t.equal(tQuantile(0.025, 123457), -first);
  t.ok(Math.abs(tCdf(first, 123457) - 0.975) < 1e-9);
  t.end();
});
