import t from 'tap';
import { cellFrom, groupOf, suppressedCell, type ReleaseRules } from '../../src/stats/cells.js';
import { noiseVarianceOfMean, type ReleasedSums } from '../../src/stats/perturbation.js';
import { summarizeWeighted, weightedSums } from '../../src/stats/weighted.js';
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
    weighted: false,
    n_eff: null,
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

t.test('weighted cells: the floor on the count, reliability on n_eff, the linearized interval exact, the noise in the protected one', async (t) => {
  const values = scores(60);
  // Weights 1 and 9 alternate: n_eff = (Σw)²/Σw² = 300²/2460 ≈ 36.6.
  const weights = values.map((_, i) => (i % 2 ? 9 : 1));
  const w = weightedSums(values, weights);
  const withWeights = (n: number, weighted: ReleasedSums['weighted'], noisyAtoms = 0): ReleasedSums => ({
    ...sumsOf(values.slice(0, n)),
    noisyAtoms,
    weighted,
  });
  const exactCell = cellFrom(withWeights(60, { ...w, noiseSumWY: 0, noiseSumW: 0 }), exact);
  const s = summarizeWeighted(w)!;
  t.match(exactCell, { n: 60, weighted: true, mean: s.mean, se: s.se, ci_low: s.ciLow, ci_high: s.ciHigh, suppressed: false, low_reliability: true });
  t.equal(exactCell.n_eff, Math.round(s.nEff * 10) / 10);
  t.ok(s.nEff > 36 && s.nEff < 37);

  const unreliable = cellFrom(withWeights(60, { ...w, noiseSumWY: 0, noiseSumW: 0 }), { ...exact, minReliableSize: 40 });
  t.match(unreliable, { n: 60, mean: null, suppressed: true, weighted: true }, '60 responses but n_eff under 40: no mean');
  t.same(cellFrom(withWeights(9, { ...w, noiseSumWY: 0, noiseSumW: 0 }), exact), suppressedCell, 'under the floor: nothing, n_eff neither');

  const noise = { noiseSumWY: (9 * 45) ** 2, noiseSumW: 81 };
  const protectedCell = cellFrom(withWeights(60, { ...w, ...noise }, 1), { ...exact, perturb: true }, 400);
  const mean = w.sumWY / w.sumW;
  const expected = Math.sqrt(400 / s.nEff + (noise.noiseSumWY + mean * mean * noise.noiseSumW) / w.sumW ** 2);
  t.ok(Math.abs(protectedCell.se! - expected) < 1e-9, 'se² = pooled s²/n_eff + the noise on Σwy and Σw');
  t.equal(protectedCell.mean, mean);

  t.match(
    cellFrom(withWeights(60, null), exact),
    { weighted: false, n_eff: null, mean: summarize(sumsOf(values))!.mean },
    'atoms not weighted yet: unweighted, and says so',
  );
});
