import t from 'tap';
import {
  addReleased,
  atomSalt,
  COUNT_NOISE_SD,
  emptyReleased,
  releaseAtom,
  releaseCount,
  subtractReleased,
  SUM_NOISE_SD,
} from '../../src/stats/perturbation.js';

const atom = (keySum: number) => ({ n: 20, sum: 1000, sumSquares: 60000, keySum });

t.test('the same records always get the same noise; any change draws fresh noise', async (t) => {
  const salt = atomSalt('measure', 'trust');
  t.same(releaseAtom(atom(123456789), salt, true), releaseAtom(atom(123456789), salt, true), 'fixed by the cell key');
  t.not(releaseAtom(atom(123456789), salt, true).sum, releaseAtom(atom(123456789 + 77), salt, true).sum, 'one more record, new noise');
  t.not(releaseAtom(atom(5), salt, true).sum, releaseAtom(atom(5), atomSalt('measure', 'safety'), true).sum, 'measures with the same records differ');
  t.same(releaseAtom(atom(5), salt, false), { n: 20, sum: 1000, sumSquares: 60000, noisyAtoms: 0 }, 'exact for admins');
  t.same(releaseAtom({ n: 0, sum: 0, sumSquares: 0, keySum: 0 }, salt, true).n, 0, 'an empty atom stays empty');
});

t.test('the noise has mean 0 and the stated standard deviations', async (t) => {
  const salt = atomSalt('measure', 'trust');
  const sums: number[] = [];
  const counts: number[] = [];
  let key = 1;
  for (let i = 0; i < 10000; i++) {
    key = (Math.imul(key, 1664525) + 1013904223) >>> 0;
    sums.push(releaseAtom(atom(key), salt, true).sum - 1000);
    counts.push(releaseCount(20, key, salt, true) - 20);
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
  t.ok(Math.abs(mean(sums)) < 2, `sum noise mean ${mean(sums)}`);
  t.ok(Math.abs(sd(sums) - SUM_NOISE_SD) < 1.5, `sum noise sd ${sd(sums)}`);
  t.ok(Math.abs(mean(counts)) < 0.1, `count noise mean ${mean(counts)}`);
  t.ok(Math.abs(sd(counts) - COUNT_NOISE_SD) < 0.1, `count noise sd ${sd(counts)}`);
  t.ok(counts.every(Number.isInteger), 'counts stay whole numbers');
});

t.test('weighted sums get noise of their own, scaled by the largest weight and drawn afresh when the weights change', async (t) => {
  const atom = { n: 12, sum: 600, sumSquares: 36000, keySum: 123456 };
  const weighted = { n: 12, sumW: 1200, sumW2: 150000, sumWY: 60000, sumWY2: 3.6e6, sumW2Y: 7.5e6, sumW2Y2: 4.5e8, maxW: 300 };
  const salt = atomSalt('measure', 'trust');
  const a = releaseAtom({ ...atom, weighted }, salt, true);
  t.same(releaseAtom({ ...atom, weighted }, salt, true), a, 'the same records and weights: the same noise');
  t.equal(a.weighted!.noiseSumWY, (300 * SUM_NOISE_SD) ** 2, 'the noise on Σwy is that of a 45-point answer of the largest weight');
  t.equal(a.weighted!.noiseSumW, 300 ** 2);
  t.same([a.weighted!.sumWY2, a.weighted!.sumW2Y, a.weighted!.sumW2Y2], [0, 0, 0], 'sums protected figures do not use are not released');
  t.same({ n: a.n, sum: a.sum }, { n: releaseAtom(atom, salt, true).n, sum: releaseAtom(atom, salt, true).sum }, 'the unweighted sums keep their own noise');
  const reweighted = releaseAtom({ ...atom, weighted: { ...weighted, sumW: 1210, sumWY: 60500 } }, salt, true);
  const drift = (x: ReturnType<typeof releaseAtom>) => x.weighted!.sumWY - (x === a ? 60000 : 60500);
  t.not(drift(reweighted), drift(a), 'other weights: other noise, so two releases cannot be differenced exactly');
  // Each month's weights are scaled to the neighborhood's population: weighing a month again (a revised census, an answer
  // imported into an earlier month of its window) keeps its Σw, and must still draw new noise.
  // Its largest weight may stay too: a weight trimmed to the cap (5 × the mean) keeps its value.
  const sameTotal = releaseAtom({ ...atom, weighted: { ...weighted, sumW2: 160000, sumWY: 61000 } }, salt, true);
  t.not(sameTotal.weighted!.sumWY - 61000, drift(a), 'other weights with the same Σw: other noise');
  const { maxW: _largest, ...sums } = weighted;
  t.same(releaseAtom({ ...atom, weighted }, salt, false).weighted, { ...sums, noiseSumWY: 0, noiseSumW: 0 }, 'exact for admins');

  const unweightedAtom = releaseAtom({ ...atom, weighted: null }, salt, true);
  t.equal(unweightedAtom.weighted, null);
  t.equal(addReleased(a, unweightedAtom).weighted, null, 'a figure with an atom not weighted yet is not weighted');
  t.same(addReleased(emptyReleased, a).weighted, a.weighted, 'an empty side adds nothing');
  t.equal(addReleased(a, a).weighted!.noiseSumWY, 2 * a.weighted!.noiseSumWY, 'noise variances add');
  t.equal(subtractReleased(addReleased(a, a), a).weighted!.sumWY, a.weighted!.sumWY);
});
