import t from 'tap';
import { cellFrom, groupOf, type ReleaseRules } from '../../src/stats/cells.js';
import { noiseVarianceOfMean } from '../../src/stats/perturbation.js';
import { summarize, sumsOf } from '../../src/stats/summary.js';

const exact: ReleaseRules = { minGroupSize: 10, minReliableSize: 30, lowReliabilitySize: 60, perturb: false };
const scores = (n: number) => Array.from({ length: n }, (_, i) => (i * 37) % 101);
const released = (values: number[], noisyAtoms = 0) => ({ ...sumsOf(values), noisyAtoms });

t.test('nothing under the privacy floor, the count alone under the reliability threshold', async (t) => {
  t.same(cellFrom(released(scores(9)), exact), {
    n: null,
    mean: null,
    sd: null,
    se: null,
    ci_low: null,
    ci_high: null,
    suppressed: true,
    low_reliability: false,
  });
  const countOnly = cellFrom(released(scores(10)), exact);
  t.equal(countOnly.n, 10, 'a count from 10');
  t.equal(countOnly.mean, null, 'no mean under 30');
  t.equal(cellFrom(released(scores(29)), exact).mean, null);
  t.ok(cellFrom(released(scores(30)), exact).low_reliability, 'flagged under 60');
  t.notOk(cellFrom(released(scores(60)), exact).low_reliability);
});

t.test('exact cells equal the t interval from the raw scores', async (t) => {
  const values = scores(45);
  const s = summarize(sumsOf(values))!;
  const cell = cellFrom(released(values), exact);
  t.equal(cell.mean, s.mean);
  t.equal(cell.se, s.se);
  t.equal(cell.ci_low, s.ciLow);
  t.equal(cell.ci_high, s.ciHigh);
  t.same(groupOf(cell), { n: 45, mean: s.mean, se: s.se });
});

t.test("a perturbed cell's interval includes the noise's variance", async (t) => {
  const values = scores(40);
  const plain = cellFrom(released(values), exact);
  const noisy = cellFrom(released(values, 3), { ...exact, perturb: true });
  const expected = Math.sqrt(plain.sd! ** 2 / 40 + noiseVarianceOfMean(noisy.mean!, 40, 3));
  t.ok(Math.abs(noisy.se! - expected) < 1e-9, 'se² = s²/n + noise variance');
  t.ok(noisy.ci_high! - noisy.ci_low! > plain.ci_high! - plain.ci_low!, 'wider than the exact interval');
});
