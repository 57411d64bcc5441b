import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import t from 'tap';
import { mergeSmallCells, rake, type Margin, type RakingInput } from '../../src/stats/raking.js';
import { projectRoot } from '../../src/paths.js';

const fixture = (name: string) => readFileSync(join(projectRoot, 'test', 'fixtures', 'weighting', name), 'utf8');

const margin = (name: string, totals: Record<string, number>): Margin => ({
  name,
  targets: Object.entries(totals).map(([category, total]) => ({ category, total })),
});

/** Respondents from counts of identical answer rows. */
const people = (groups: [readonly (string | null)[], number][]) => groups.flatMap(([answers, k]) => Array.from({ length: k }, () => answers));

/** Weighted total of each margin's categories, computed here independently of the module. */
function weightedTotals(input: RakingInput, weights: readonly number[], k: number): Map<string | null, number> {
  const totals = new Map<string | null, number>();
  input.respondents.forEach((r, i) => totals.set(r[k], (totals.get(r[k]) ?? 0) + weights[i]));
  return totals;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

t.test("ipfn's two-way test: raking the table's cells reproduces the fitted table", async (t) => {
  const ipfn = JSON.parse(fixture('ipfn-two-way.json')) as { seed: number[][]; rowTargets: number[]; columnTargets: number[]; fitted: number[][] };
  // Each cell of the seed table is one "respondent" whose base weight is the cell's value.
  const cells = ipfn.seed.flatMap((row, i) => row.map((value, j) => ({ i, j, value })));
  const input: RakingInput = {
    margins: [
      { name: 'row', targets: ipfn.rowTargets.map((total, i) => ({ category: `r${i}`, total })) },
      { name: 'column', targets: ipfn.columnTargets.map((total, j) => ({ category: `c${j}`, total })) },
    ],
    respondents: cells.map((c) => [`r${c.i}`, `c${c.j}`]),
    baseWeights: cells.map((c) => c.value),
  };
  // A table's rows hold 4 cells, not 5 respondents: merging would change the problem ipfn solves.
  const result = rake(input, { minCellSize: 1 });
  t.ok(result.converged);
  t.same(result.used, ['row', 'column']);
  const worst = Math.max(...cells.map((c, k) => Math.abs(result.weights[k] - ipfn.fitted[c.i][c.j])));
  t.ok(worst < 1e-9, `every cell matches ipfn's limit (largest gap ${worst})`);
  ipfn.rowTargets.forEach((target, i) => t.ok(Math.abs(weightedTotals(input, result.weights, 0).get(`r${i}`)! - target) < 1e-6, `row ${i} met`));
  ipfn.columnTargets.forEach((target, j) => t.ok(Math.abs(weightedTotals(input, result.weights, 1).get(`c${j}`)! - target) < 1e-6, `column ${j} met`));
});

t.test("R survey's rake() on apiclus1: the same weights, margins met", async (t) => {
  const rows = parse<{ stype: string; sch_wide: string; pw: string }>(fixture('apiclus1.csv'), { columns: true });
  const r = JSON.parse(fixture('r-survey-rake.json')) as { weights: number[]; margins: { stype: Record<string, number>; sch_wide: Record<string, number> } };
  const input: RakingInput = {
    margins: [margin('stype', r.margins.stype), margin('sch_wide', r.margins.sch_wide)],
    respondents: rows.map((row) => [row.stype, row.sch_wide]),
    baseWeights: rows.map((row) => Number(row.pw)),
  };
  const result = rake(input);
  t.equal(result.weights.length, 183);
  t.ok(result.converged);
  t.same(result.used, ['stype', 'sch_wide']);
  t.same(
    result.margins.map((m) => m.merged),
    [[], []],
    'every category has at least 5 schools',
  );
  t.equal(result.trimRounds, 0, 'no weight reaches 5 × the mean');
  const worst = Math.max(...result.weights.map((w, i) => Math.abs(w - r.weights[i])));
  t.ok(worst < 1e-6, `every weight matches R's to 1e-6 (largest gap ${worst})`);
  t.ok(Math.abs(sum(result.weights) - 6194) < 1e-6, 'weights sum to the population total');
  for (const [k, m] of input.margins.entries()) {
    const totals = weightedTotals(input, result.weights, k);
    for (const { category, total } of m.targets) t.ok(Math.abs(totals.get(category)! - total) < 1e-6, `${m.name} ${category} met`);
  }
});

t.test('categories with fewer than 5 respondents are merged with the neighbour that has fewer', async (t) => {
  t.same(
    mergeSmallCells([2, 10, 20, 3], [100, 200, 300, 400], 5),
    [
      [0, 1],
      [2, 3],
    ],
    'the ends join their only neighbours',
  );
  t.same(mergeSmallCells([10, 2, 6, 10], [1, 1, 1, 1], 5), [[0], [1, 2], [3]], 'a middle category joins the smaller neighbour');
  t.same(mergeSmallCells([6, 2, 6], [1, 1, 1], 5), [[0, 1], [2]], 'the preceding neighbour on a tie');
  t.same(mergeSmallCells([10, 4, 3, 10], [1, 1, 1, 1], 5), [[0], [1, 2], [3]], 'the smallest short category merges first');
  t.same(mergeSmallCells([10, 8, 10], [1, 0, 1], 5), [[0, 1], [2]], 'a category the census counts no one in is merged too');
  t.same(mergeSmallCells([1, 1, 1], [1, 1, 1], 5), [[0, 1, 2]], 'everything in one cell when even that is short');

  const input: RakingInput = {
    margins: [margin('age', { '18–24': 100, '25–34': 300, '35–54': 400, '55+': 200 })],
    respondents: people([
      [['18–24'], 2],
      [['25–34'], 10],
      [['35–54'], 20],
      [['55+'], 3],
    ]),
  };
  const result = rake(input);
  t.same(result.margins[0].merged, [
    ['18–24', '25–34'],
    ['35–54', '55+'],
  ]);
  const totals = weightedTotals(input, result.weights, 0);
  t.ok(Math.abs(totals.get('18–24')! + totals.get('25–34')! - 400) < 1e-6, 'the merged cell meets the summed targets');
  t.ok(Math.abs(totals.get('35–54')! + totals.get('55+')! - 600) < 1e-6);
  t.equal(result.weights[0], result.weights[2], 'one factor for the whole merged cell: 18–24 and 25–34 weigh alike');
  t.ok(Math.abs(result.weights[0] - 400 / 12) < 1e-9);
});

t.test('trimming caps weights at 5 × the mean and re-rakes until none exceeds it', async (t) => {
  const input: RakingInput = {
    margins: [margin('age', { young: 300, old: 700 }), margin('gender', { man: 600, woman: 400 })],
    respondents: people([
      [['young', 'man'], 1],
      [['young', 'woman'], 9],
      [['old', 'man'], 40],
      [['old', 'woman'], 50],
    ]),
  };
  const untrimmed = rake(input, { trimCap: Infinity });
  t.ok(untrimmed.largestWeightRatio > 8, `the lone young man weighs ${untrimmed.largestWeightRatio} × the mean before trimming`);
  t.ok(untrimmed.weights[0] > 5 * 10);

  const result = rake(input);
  t.ok(result.trimRounds > 0);
  t.ok(result.withinCap);
  t.ok(result.converged);
  t.ok(Math.max(...result.weights) <= 50 * (1 + 1e-6), `no weight above the cap of 50 (largest ${Math.max(...result.weights)})`);
  t.ok(result.largestWeightRatio <= 5 * (1 + 1e-6));
  for (const [k, m] of input.margins.entries()) {
    const totals = weightedTotals(input, result.weights, k);
    for (const { category, total } of m.targets) t.ok(Math.abs(totals.get(category)! - total) < 1e-6, `${m.name} ${category} still met`);
  }
});

t.test('when the cap cannot hold with the margins met, the weights meet the margins and the report says so', async (t) => {
  // 5 of 60 respondents must stand for half the population: 100 each, above the cap of 5 × 1000/60.
  const input: RakingInput = {
    margins: [margin('age', { young: 500, old: 500 })],
    respondents: people([
      [['young'], 5],
      [['old'], 55],
    ]),
  };
  const result = rake(input, { maxTrimRounds: 10 });
  t.equal(result.trimRounds, 10, 'the rounds are bounded');
  t.equal(result.withinCap, false);
  t.ok(result.converged);
  t.ok(Math.abs(result.weights[0] - 100) < 1e-6);
  t.ok(Math.abs(result.largestWeightRatio - 6) < 1e-6);
});

t.test('when raking does not converge the last margin is dropped and the rest are raked', async (t) => {
  // Every man in the sample answered race A and every woman race B: the race and gender margins contradict each other.
  const input: RakingInput = {
    margins: [margin('age', { young: 400, old: 600 }), margin('gender', { man: 500, woman: 500 }), margin('race', { a: 700, b: 300 })],
    respondents: people([
      [['young', 'man', 'a'], 10],
      [['young', 'woman', 'b'], 20],
      [['old', 'man', 'a'], 30],
      [['old', 'woman', 'b'], 15],
    ]),
  };
  const result = rake(input, { maxIterations: 200 });
  t.ok(result.converged);
  t.same(result.used, ['age', 'gender']);
  t.same(
    result.margins.map((m) => m.status),
    ['used', 'used', 'dropped: raking did not converge'],
  );
  for (const [k, m] of input.margins.slice(0, 2).entries()) {
    const totals = weightedTotals(input, result.weights, k);
    for (const { category, total } of m.targets) t.ok(Math.abs(totals.get(category)! - total) < 1e-6, `${m.name} ${category} met`);
  }
});

t.test('"prefer not to say" and answers the census does not count are raked on the other margins only', async (t) => {
  const input: RakingInput = {
    margins: [margin('gender', { man: 500, woman: 500 })],
    respondents: people([
      [['man'], 10],
      [['woman'], 30],
      [[null], 6],
      [['another gender'], 4],
    ]),
  };
  const result = rake(input);
  t.equal(result.margins[0].notAnswered, 10);
  // Weights start at 1000/50 = 20; the 800 who answered are split by the census shares; the other 10 keep 20 each.
  t.ok(Math.abs(result.weights[0] - 40) < 1e-9, 'a man: 400 / 10');
  t.ok(Math.abs(result.weights[10] - 400 / 30) < 1e-9, 'a woman: 400 / 30');
  t.ok(Math.abs(result.weights[40] - 20) < 1e-9, 'prefer not to say keeps the starting weight');
  t.ok(Math.abs(result.weights[46] - 20) < 1e-9, 'another gender keeps the starting weight');
  t.ok(Math.abs(sum(result.weights) - 1000) < 1e-9);

  const twoMargins: RakingInput = {
    margins: [margin('age', { young: 300, old: 700 }), margin('gender', { man: 480, woman: 520 })],
    respondents: people([
      [['young', 'man'], 12],
      [['young', 'woman'], 18],
      [['old', 'man'], 25],
      [['old', 'woman'], 35],
      [['young', null], 6],
      [['old', 'prefer not to say'], 9],
      [[null, 'woman'], 5],
    ]),
  };
  const raked = rake(twoMargins);
  t.ok(raked.converged);
  for (const [k, m] of twoMargins.margins.entries()) {
    const totals = weightedTotals(twoMargins, raked.weights, k);
    const answered = sum(m.targets.map((c) => totals.get(c.category)!));
    for (const { category, total } of m.targets) {
      t.ok(Math.abs(totals.get(category)! / answered - total / 1000) < 1e-9, `${m.name} ${category}: census share among those who answered`);
    }
  }
  t.ok(raked.weights[90] !== raked.weights[96], 'who did not answer gender are still raked on age');
  t.equal(raked.weights[90], raked.weights[95], 'respondents alike on what they answered weigh alike');
});

t.test('a margin nobody answered is reported and left out', async (t) => {
  const result = rake({
    margins: [margin('age', { young: 500, old: 500 }), margin('race', { a: 600, b: 400 })],
    respondents: people([
      [['young', null], 10],
      [['old', null], 30],
    ]),
  });
  t.same(result.used, ['age']);
  t.equal(result.margins[1].status, 'dropped: nobody answered');
  t.ok(Math.abs(result.weights[0] - 50) < 1e-9);
});

t.test('base weights keep their proportions within a cell', async (t) => {
  const result = rake({
    margins: [margin('gender', { man: 500, woman: 500 })],
    respondents: people([
      [['man'], 5],
      [['woman'], 5],
    ]),
    baseWeights: [1, 2, 3, 4, 5, 1, 1, 1, 1, 1],
  });
  t.ok(Math.abs(result.weights[1] / result.weights[0] - 2) < 1e-12);
  t.ok(Math.abs(sum(result.weights.slice(0, 5)) - 500) < 1e-9);
});

t.test('bad input is refused', async (t) => {
  const margins = [margin('gender', { man: 1, woman: 1 })];
  t.throws(() => rake({ margins, respondents: [['man']], baseWeights: [0] }), RangeError);
  t.throws(() => rake({ margins, respondents: [['man']], baseWeights: [1, 2] }), RangeError);
  t.throws(() => rake({ margins, respondents: [['man', 'old']] }), RangeError);
  t.throws(() => rake({ margins: [margin('gender', { man: 0, woman: 0 })], respondents: [['man']] }), RangeError);
  t.throws(() => rake({ margins: [margin('gender', { man: -1, woman: 2 })], respondents: [['man']] }), RangeError);
  t.throws(() => rake({ margins, respondents: [['man']] }, { minCellSize: 0 }), RangeError);
  t.same(rake({ margins, respondents: [] }).weights, [], 'no respondents, no weights');
});

t.test('property: weights are positive, sum to the population, and meet every used margin when converged', async () => {
  const category = (k: number) => fc.integer({ min: 0, max: k - 1 }).map((i) => `c${i}`);
  const answer = (k: number) => fc.option(category(k), { freq: 8 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(answer(3), answer(4)), { minLength: 1, maxLength: 120 }),
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 4, maxLength: 4 }),
      // Tight caps make trimming run on most samples.
      fc.constantFrom(5, 2, 1.5),
      (respondents, first, second, trimCap) => {
        const toMargin = (name: string, totals: number[]) => ({ name, targets: totals.map((total, i) => ({ category: `c${i}`, total })) });
        const input: RakingInput = { margins: [toMargin('first', first), toMargin('second', second)], respondents };
        const result = rake(input, { trimCap });
        if (result.weights.some((w) => !(w > 0))) return false;
        if (Math.abs(sum(result.weights) / sum(first) - 1) > 1e-9) return false;
        if (result.withinCap && result.largestWeightRatio > trimCap * (1 + 1e-6)) return false;
        if (!result.converged) return true;
        return result.margins.every((m, k) => {
          if (m.status !== 'used') return true;
          const totals = weightedTotals(input, result.weights, k);
          const groups = mergeSmallCells(
            input.margins[k].targets.map((c) => respondents.filter((r) => r[k] === c.category).length),
            input.margins[k].targets.map((c) => c.total),
            5,
          );
          const answered = sum(input.margins[k].targets.map((c) => totals.get(c.category) ?? 0));
          const all = sum(input.margins[k].targets.map((c) => c.total));
          return groups.every((g) => {
            const got = sum(g.map((c) => totals.get(`c${c}`) ?? 0));
            const want = (sum(g.map((c) => input.margins[k].targets[c].total)) / all) * answered;
            return Math.abs(got - want) <= 1e-6 * want;
          });
        });
      },
    ),
    { numRuns: 200 },
  );
});
