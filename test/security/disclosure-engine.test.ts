import t from 'tap';
import { analyseGroups, isPositiveDefinite, solve, type Figure } from '../helper/disclosure/engine.js';

const weak = () => ({ mean: 50, variance: 1000 ** 2 });
const sumOf = (ids: string[]) => new Map(ids.map((id) => [id, 1]));
const truth: Record<string, number> = { r1: 20, r2: 70, r3: 40, r4: 90, r5: 10 };
const total = (ids: string[]) => ids.reduce((a, id) => a + truth[id], 0);
const exact = (label: string, ids: string[]): Figure => ({ label, terms: sumOf(ids), value: total(ids), noise: [] });

t.test('a month minus the weeks inside it gives the rest exactly (SD 0)', async (t) => {
  const month = ['r1', 'r2', 'r3', 'r4', 'r5'];
  const posterior = solve([exact('month', month), exact('week 1', ['r1', 'r2', 'r3'])], weak);
  t.ok(posterior.sd(sumOf(['r4', 'r5'])) < 1e-3, 'the two hidden responses are determined');
  t.ok(Math.abs(posterior.mean(sumOf(['r4', 'r5'])) - 100) < 1e-6, 'and their total is recovered');
  t.ok(posterior.sd(sumOf(['r4'])) > 100, 'but neither one alone');

  const targets = month.map((id) => ({ record: id, combo: sumOf([id]), truth: truth[id] }));
  const groups = analyseGroups(posterior, targets, { bound: 15 });
  t.notOk(groups.provenByEigenvalue);
  t.same([...groups.worst.records].sort(), ['r4', 'r5'], 'the greedy search finds the pair');
  t.ok(groups.worst.sd < 1e-3);
  t.equal(groups.worst.truth, 100);
});

t.test('two overlapping windows with independent noise σ give SD √2·σ for their difference', async (t) => {
  const sigma = 20;
  const posterior = solve(
    [
      { label: 'window 1', terms: sumOf(['r1', 'r2']), value: total(['r1', 'r2']) + 3, noise: [{ id: 'a', variance: sigma ** 2 }] },
      { label: 'window 2', terms: sumOf(['r1', 'r2', 'r3']), value: total(['r1', 'r2', 'r3']) - 5, noise: [{ id: 'b', variance: sigma ** 2 }] },
    ],
    weak,
  );
  t.ok(Math.abs(posterior.sd(sumOf(['r3'])) - Math.SQRT2 * sigma) < 1e-3 * sigma, `SD ${posterior.sd(sumOf(['r3']))}`);
  t.ok(Math.abs(posterior.sd(sumOf(['r1', 'r2'])) - sigma) < 1e-3 * sigma);
  // The weak prior N(50, 1000²) shrinks the estimate by ~σ²/1000² of its distance from the prior mean.
  t.ok(Math.abs(posterior.mean(sumOf(['r3'])) - (truth.r3 - 8)) < 0.05, 'the estimate is the difference of the two readings');
});

t.test('re-reading the same atom version shares its noise: averaging repeats gains nothing', async (t) => {
  const sigma = 20;
  const reading = (value: number): Figure => ({ label: 'r1 again', terms: sumOf(['r1']), value, noise: [{ id: 'atom:r1', variance: sigma ** 2 }] });
  const once = solve([reading(25)], weak);
  const many = solve([reading(25), reading(25), reading(25)], weak);
  t.ok(Math.abs(many.sd(sumOf(['r1'])) - once.sd(sumOf(['r1']))) < 1e-6);
  t.same(many.inconsistencies, [], 'the repeats are redundant and agree');
  // A new version of the atom (its records changed) has fresh noise: two versions average.
  const fresh = solve([reading(25), { ...reading(19), noise: [{ id: 'atom:r1+', variance: sigma ** 2 }] }], weak);
  t.ok(Math.abs(fresh.sd(sumOf(['r1'])) - sigma / Math.SQRT2) < 1e-3 * sigma);
});

t.test('per-record noise above the bound is proven by the eigenvalue check', async (t) => {
  const ids = ['r1', 'r2', 'r3'];
  const posterior = solve(
    ids.map((id) => ({ label: id, terms: sumOf([id]), value: truth[id], noise: [{ id: `n:${id}`, variance: 20 ** 2 }] })),
    weak,
  );
  const groups = analyseGroups(
    posterior,
    ids.map((id) => ({ record: id, combo: sumOf([id]), truth: truth[id] })),
    { bound: 15 },
  );
  t.ok(groups.provenByEigenvalue);
  t.same(groups.under, []);
  t.ok(groups.worst.sd >= 15);
});

t.test('derived measures: trust = ½ respect + ½ listening links both items', async (t) => {
  const trust = (r: string) =>
    new Map([
      [`${r}:respect`, 0.5],
      [`${r}:listening`, 0.5],
    ]);
  // Trust of r1 + r2 and respect of both: listening of the pair follows.
  const posterior = solve(
    [
      { label: 'trust', terms: new Map([...trust('r1'), ...trust('r2')]), value: 100, noise: [] },
      { label: 'respect', terms: sumOf(['r1:respect', 'r2:respect']), value: 80, noise: [] },
    ],
    weak,
  );
  t.ok(posterior.sd(sumOf(['r1:listening', 'r2:listening'])) < 1e-3);
  t.ok(Math.abs(posterior.mean(sumOf(['r1:listening', 'r2:listening'])) - 120) < 1e-6);
});

t.test('an exact figure that contradicts the others is reported, not silently used', async (t) => {
  const posterior = solve([exact('a', ['r1']), { label: 'a again, wrong', terms: sumOf(['r1']), value: 21, noise: [] }], weak);
  t.equal(posterior.inconsistencies.length, 1);
  t.equal(posterior.inconsistencies[0].label, 'a again, wrong');
});

t.test('Cholesky positive-definiteness check', async (t) => {
  t.ok(isPositiveDefinite(Float64Array.from([2, 1, 1, 2]), 2));
  t.notOk(isPositiveDefinite(Float64Array.from([1, 2, 2, 1]), 2));
});
