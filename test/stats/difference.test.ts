import t from 'tap';
import { differenceInDifferences, differenceInDifferencesT, welchDifference, welchT } from '../../src/stats/difference.js';
import { summarize, sumsOf } from '../../src/stats/summary.js';

const close = (t: { ok(value: boolean, message: string): unknown }, actual: number, expected: number, tolerance: number, what: string) =>
  t.ok(Math.abs(actual - expected) < tolerance, `${what}: ${actual} ≈ ${expected}`);

t.test("Welch's interval on the Wikipedia example (A1 vs A2)", async (t) => {
  // Data from Wikipedia's "Welch's t-test" example 1; expected values from SciPy 1.17
  // (scipy.stats.ttest_ind(a2, a1, equal_var=False)): t = 2.455356, df = 24.98853, 95% CI 0.349237 to 3.984096.
  const a1 = summarize(sumsOf([27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]))!;
  const a2 = summarize(sumsOf([27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]))!;
  const d = welchDifference(a1, a2)!;
  close(t, d.estimate, 2.166667, 1e-6, 'difference');
  close(t, d.estimate / d.se, 2.455356, 1e-5, 't statistic');
  close(t, d.df, 24.98853, 1e-4, 'Welch–Satterthwaite df');
  close(t, d.ciLow, 0.349237, 1e-5, 'lower bound');
  close(t, d.ciHigh, 3.984096, 1e-5, 'upper bound');
});

t.test('difference-in-differences adds the four variances of the means', async (t) => {
  // Expected from NumPy/SciPy 1.17: estimate 8.398810, se 10.213705, df 18.13751, 95% CI −13.047732 to 29.845351.
  const group = (values: number[]) => summarize(sumsOf(values))!;
  const d = differenceInDifferences(
    { before: group([50, 60, 70, 80, 90, 55, 65]), after: group([70, 80, 90, 100, 60, 75]) },
    { before: group([40, 50, 60, 70, 45, 55, 65, 50]), after: group([45, 55, 65, 75, 50]) },
  )!;
  close(t, d.estimate, 8.39881, 1e-5, 'estimate');
  close(t, d.se, 10.213705, 1e-5, 'standard error');
  close(t, d.df, 18.13751, 1e-4, 'df');
  close(t, d.ciLow, -13.047732, 1e-4, 'lower bound');
  close(t, d.ciHigh, 29.845351, 1e-4, 'upper bound');
});

t.test('no interval for a group of one; zero spread gives a zero-width interval', async (t) => {
  const one = { n: 1, mean: 50, se: 0 };
  const flat = summarize(sumsOf([60, 60, 60]))!;
  t.equal(welchDifference(one, flat), null);
  const d = welchDifference(summarize(sumsOf([40, 40]))!, flat)!;
  t.equal(d.estimate, 20);
  t.equal(d.ciLow, 20);
  t.equal(d.ciHigh, 20);
});

t.test('t-values alone (placebo windows) are the full estimates over their standard errors, and null where those have none', async (t) => {
  const group = (values: number[]) => summarize(sumsOf(values))!;
  const [a, b, c, d] = [
    group([50, 60, 70, 80, 90, 55, 65]),
    group([70, 80, 90, 100, 60, 75]),
    group([40, 50, 60, 70, 45, 55, 65, 50]),
    group([45, 55, 65, 75, 50]),
  ];
  const welch = welchDifference(a, b)!;
  t.equal(welchT(a, b), welch.estimate / welch.se);
  const did = differenceInDifferences({ before: a, after: b }, { before: c, after: d })!;
  t.equal(differenceInDifferencesT({ before: a, after: b }, { before: c, after: d }), did.estimate / did.se);
  t.equal(welchT({ n: 1, mean: 50, se: 0 }, b), null, 'a group of one');
  t.equal(welchT(group([40, 40]), group([60, 60, 60])), null, 'no spread: no t-value');
});
