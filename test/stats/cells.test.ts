import t from 'tap';
import { cellFrom, complementarySuppression, groupOf, partCells, suppressedCell } from '../../src/stats/cells.js';
import { sumsOf } from '../../src/stats/summary.js';

const rules = { minCellSize: 30, lowReliabilitySize: 60 };
const repeat = (n: number, values: number[]) => Array.from({ length: n }, (_, i) => values[i % values.length]);

t.test('suppressed below MIN_CELL_SIZE, flagged below LOW_RELIABILITY_SIZE', async (t) => {
  t.same(cellFrom(sumsOf(repeat(29, [40, 60])), rules), suppressedCell, 'n = 29: nothing but the flag');
  t.same(cellFrom(sumsOf([]), rules), suppressedCell, 'an empty group is suppressed');
  // 30 values alternating 40, 60: mean 50, sample sd = sqrt(30 · 100 / 29) = 10.170953, se = 1.856953,
  // t(0.975, 29) = 2.045230 (published t table) → half-width 3.797896.
  const at = cellFrom(sumsOf(repeat(30, [40, 60])), rules);
  t.equal(at.suppressed, false);
  t.equal(at.n, 30);
  t.equal(at.mean, 50);
  t.ok(Math.abs(at.sd! - 10.170953) < 1e-5);
  t.ok(Math.abs(at.ci_low! - (50 - 3.797896)) < 1e-5);
  t.ok(Math.abs(at.ci_high! - (50 + 3.797896)) < 1e-5);
  t.equal(at.low_reliability, true, 'n = 30 is low reliability');
  t.equal(cellFrom(sumsOf(repeat(59, [40, 60])), rules).low_reliability, true);
  t.equal(cellFrom(sumsOf(repeat(60, [40, 60])), rules).low_reliability, false);
});

t.test('complementary suppression hides the next-smallest part when exactly one is hidden', async (t) => {
  t.same([...complementarySuppression([100, 12, 45, 80], rules)].sort(), [1, 2]);
  t.same([...complementarySuppression([100, 12, 5, 80], rules)].sort(), [1, 2], 'two hidden already: nothing more');
  t.same([...complementarySuppression([100, 45, 80], rules)], [], 'nothing hidden');
  t.same([...complementarySuppression([12], rules)], [0], 'a lone part');
  t.same([...complementarySuppression([100, 0, 45], rules)], [1], 'an empty part needs no complement');
  t.same([...complementarySuppression([100, 0, 12, 45], rules)].sort(), [1, 2, 3], 'one hidden part with responses, beside an empty one');
  const cells = partCells([sumsOf(repeat(40, [10, 20])), sumsOf(repeat(3, [90])), sumsOf(repeat(70, [50, 70]))], rules);
  t.same(
    cells.map((c) => c.suppressed),
    [true, true, false],
  );
  t.equal(cells[2].mean, 60);
});

t.test('a shown cell gives its standard error; a suppressed one gives nothing', async (t) => {
  const cell = cellFrom(sumsOf(repeat(30, [40, 60])), rules);
  // se = sd / sqrt(n) = 10.170953 / sqrt(30) = 1.856953 (as above).
  t.ok(Math.abs(groupOf(cell)!.se - 1.856953) < 1e-6);
  t.equal(groupOf(suppressedCell), null);
});
