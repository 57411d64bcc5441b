import t from 'tap';
import { atomSalt, COUNT_NOISE_SD, releaseAtom, releaseCount, SUM_NOISE_SD } from '../../src/stats/perturbation.js';

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
