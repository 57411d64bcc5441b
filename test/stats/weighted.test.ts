import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import t from 'tap';
import { differenceInDifferences, welchDifference } from '../../src/stats/difference.js';
import { summarize, sumsOf } from '../../src/stats/summary.js';
import {
  addWeightedSums,
  emptyWeightedSums,
  summarizeWeighted,
  weightedDifference,
  weightedDifferenceInDifferences,
  weightedSums,
  type WeightedSummary,
} from '../../src/stats/weighted.js';
import { projectRoot } from '../../src/paths.js';

const fixture = (name: string) => readFileSync(join(projectRoot, 'test', 'fixtures', 'weighting', name), 'utf8');

const close = (t: { ok(value: boolean, message: string): unknown }, actual: number | null, expected: number, tolerance: number, what: string) =>
  t.ok(actual !== null && Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≈ ${expected}`);

const summary = (y: readonly number[], w: readonly number[]) => summarizeWeighted(weightedSums(y, w))!;

/** The linearized variance computed directly from its definition, eᵢ = wᵢ(yᵢ − ȳ_w)/Σw, in two passes. */
function directVariance(y: readonly number[], w: readonly number[]): number {
  const W = w.reduce((a, b) => a + b, 0);
  const mean = y.reduce((a, v, i) => a + w[i] * v, 0) / W;
  const e2 = y.reduce((a, v, i) => a + ((w[i] * (v - mean)) / W) ** 2, 0);
  return (y.length / (y.length - 1)) * e2;
}

interface Example {
  y: number[];
  w: number[];
  mean: number;
  se: number;
  deffReplace: number;
}
const r = JSON.parse(fixture('r-survey-rake.json')) as {
  weights: number[];
  fixedWeights: { mean: number; se: number; deffReplace: number };
  examples: Record<'small' | 'extreme' | 'ordinary', Example>;
};

t.test('by hand: y = 1, 2, 4 with weights 1, 1, 2', async (t) => {
  // ȳ = 11/4; e = −7/16, −3/16, 5/8; Σe² = 79/128; V = 3/2 · 79/128 = 237/256.
  // n_eff = 4²/6 = 8/3; sd² = 3/2 · (Σw(y−ȳ)² = 27/4) / 4 = 81/32; deff = V / (sd²/3) = 237/216.
  const s = summary([1, 2, 4], [1, 1, 2]);
  t.equal(s.n, 3);
  close(t, s.mean, 2.75, 1e-15, 'mean');
  close(t, s.variance, 237 / 256, 1e-14, 'variance');
  close(t, s.se, Math.sqrt(237 / 256), 1e-14, 'standard error');
  close(t, s.nEff, 8 / 3, 1e-14, 'n_eff');
  close(t, s.kishDeff, 9 / 8, 1e-14, "Kish's deff");
  close(t, s.sd, Math.sqrt(81 / 32), 1e-14, 'sd');
  close(t, s.deff, 237 / 216, 1e-14, 'design effect');
  // t(0.975, 2) = 4.302653 (SciPy 1.17 stats.t.ppf).
  close(t, s.ciLow, -1.389906, 1e-5, 'lower bound');
  close(t, s.ciHigh, 6.889906, 1e-5, 'upper bound');
});

t.test("R survey's svymean with the weights fixed gives the same mean, SE and design effect", async (t) => {
  // svydesign(ids=~1, weights=~w) linearizes with influence values wᵢ(yᵢ − ȳ)/Σw, centres them (their mean is 0
  // already) and multiplies by n/(n−1): the same formula, so these agree to rounding. deff="replace" divides by
  // svyvar/n with svyvar = n/(n−1)·Σw(y−ȳ)²/Σw, our sd².
  for (const [name, e] of Object.entries(r.examples)) {
    const s = summary(e.y, e.w);
    close(t, s.mean, e.mean, 1e-12, `${name}: mean`);
    close(t, s.se, e.se, 1e-12, `${name}: standard error`);
    close(t, s.deff, e.deffReplace, 1e-12, `${name}: design effect`);
  }
  const rows = parse<{ api00: string }>(fixture('apiclus1.csv'), { columns: true });
  const s = summary(
    rows.map((row) => Number(row.api00)),
    r.weights,
  );
  close(t, s.mean, r.fixedWeights.mean, 1e-12, 'apiclus1 api00 mean under the raked weights');
  close(t, s.se, r.fixedWeights.se, 1e-12, 'its standard error with the weights fixed');
  close(t, s.deff, r.fixedWeights.deffReplace, 1e-12, 'its design effect');
});

t.test('one extreme weight: the mean follows it and n_eff falls to about 1', async (t) => {
  const e = r.examples.extreme;
  const s = summary(e.y, e.w);
  close(t, s.mean, 400 / 1005, 1e-14, 'mean = Σwy/Σw = 400/1005');
  close(t, s.nEff, 1005 ** 2 / 1000007, 1e-14, 'n_eff = 1005²/(1000² + 1 + 1 + 1 + 2²)');
  close(t, s.kishDeff, 5 / (1005 ** 2 / 1000007), 1e-14, "Kish's deff = n/n_eff");
  close(t, s.variance, directVariance(e.y, e.w), 1e-12, 'the sums give the direct variance');
});

t.test('one respondent: a mean but no variance, said explicitly', async (t) => {
  const s = summary([80], [3.5]);
  t.same(s, { n: 1, nEff: 1, mean: 80, sd: null, variance: null, se: null, deff: null, kishDeff: 1, ciLow: null, ciHigh: null });
  t.equal(summarizeWeighted(emptyWeightedSums), null, 'no respondents, no figure');
  t.equal(weightedDifference(s, summary([1, 2, 4], [1, 1, 2])), null, 'no difference with a side of one');
});

t.test('scores that all agree: zero variance and no design effect to speak of', async (t) => {
  const s = summary([60, 60, 60], [1, 5, 2]);
  t.equal(s.variance, 0);
  t.equal(s.deff, null);
  t.equal(s.ciLow, 60);
  // fast-check's counterexample: the sums' cancellation left a spread of rounding error, and a design effect of noise.
  for (const w of [
    [0.12113486804301579, 0.05],
    [0.00012113486804301579, 0.00005],
  ]) {
    const agreeing = summary([96, 96], w);
    t.equal(agreeing.variance, 0);
    t.equal(agreeing.deff, null);
  }
});

t.test('bad input is refused', async (t) => {
  t.throws(() => weightedSums([1, 2], [1]), RangeError);
});

const scores = fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 60 });
const withWeights = scores.chain((y) =>
  fc.tuple(fc.constant(y), fc.array(fc.double({ min: 0.05, max: 50, noNaN: true }), { minLength: y.length, maxLength: y.length })),
);

t.test('property: summing cells then computing equals computing from the whole list', async () => {
  fc.assert(
    fc.property(
      withWeights.chain(([y, w]) =>
        fc.tuple(fc.constant(y), fc.constant(w), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: y.length, maxLength: y.length })),
      ),
      ([y, w, cellOf]) => {
        // Respondents split into up to five neighborhood × month cells, each summed on its own, as rollups store them.
        const cells = [0, 1, 2, 3, 4].map((c) =>
          weightedSums(
            y.filter((_, i) => cellOf[i] === c),
            w.filter((_, i) => cellOf[i] === c),
          ),
        );
        const fromCells = summarizeWeighted(cells.reduce(addWeightedSums, emptyWeightedSums))!;
        const direct = directVariance(y, w);
        const W = w.reduce((a, b) => a + b, 0);
        const mean = y.reduce((a, v, i) => a + w[i] * v, 0) / W;
        const nEff = W ** 2 / w.reduce((a, v) => a + v * v, 0);
        const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
        return fromCells.n === y.length && near(fromCells.mean, mean) && near(fromCells.variance!, direct) && near(fromCells.nEff, nEff);
      },
    ),
    { numRuns: 300 },
  );
});

t.test('property: equal weights give the unweighted mean, its standard error, n_eff = n and deff = 1', async () => {
  fc.assert(
    fc.property(scores, fc.double({ min: 0.01, max: 1000, noNaN: true }), (y, weight) => {
      const s = summary(
        y,
        y.map(() => weight),
      );
      const u = summarize(sumsOf(y))!;
      const near = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      return near(s.mean, u.mean) && near(s.se, u.se) && near(s.sd, u.sd) && near(s.nEff, y.length) && (u.sd === 0 ? s.deff === null : near(s.deff, 1));
    }),
    { numRuns: 300 },
  );
});

t.test('property: scaling every weight changes nothing', async () => {
  fc.assert(
    fc.property(withWeights, fc.double({ min: 1e-3, max: 1e4, noNaN: true }), ([y, w], k) => {
      const a = summary(y, w);
      const b = summary(
        y,
        w.map((x) => x * k),
      );
      const near = (p: number | null, q: number | null) => (p === null ? q === null : q !== null && Math.abs(p - q) <= 1e-8 * Math.max(1, Math.abs(q)));
      return near(a.mean, b.mean) && near(a.variance, b.variance) && near(a.nEff, b.nEff) && near(a.deff, b.deff);
    }),
    { numRuns: 300 },
  );
});

t.test('differences of weighted means use the conventions of difference.ts', async (t) => {
  const group = (s: WeightedSummary) => ({ n: s.n, mean: s.mean, se: s.se! });
  const before = summary([50, 60, 70, 80, 90, 55, 65], [1, 2, 1, 3, 1, 0.5, 2]);
  const after = summary([70, 80, 90, 100, 60, 75], [2, 1, 1, 1, 4, 1]);
  const otherBefore = summary([40, 50, 60, 70, 45, 55, 65, 50], [1, 1, 1, 1, 1, 1, 1, 1]);
  const otherAfter = summary([45, 55, 65, 75, 50], [3, 1, 1, 1, 1]);
  const d = weightedDifference(before, after)!;
  t.same(d, welchDifference(group(before), group(after)));
  close(t, d.estimate, after.mean - before.mean, 1e-12, 'after − before');
  close(t, d.se, Math.sqrt(before.variance! + after.variance!), 1e-12, 'variances of independent means add');
  const did = weightedDifferenceInDifferences({ before, after }, { before: otherBefore, after: otherAfter })!;
  t.same(did, differenceInDifferences({ before: group(before), after: group(after) }, { before: group(otherBefore), after: group(otherAfter) }));
  close(t, did.estimate, after.mean - before.mean - (otherAfter.mean - otherBefore.mean), 1e-12, 'difference-in-differences');
  close(t, did.se, Math.sqrt(before.variance! + after.variance! + otherBefore.variance! + otherAfter.variance!), 1e-12, 'four variances add');
  t.equal(weightedDifferenceInDifferences({ before, after }, { before: otherBefore, after: summary([50], [2]) }), null);
});
