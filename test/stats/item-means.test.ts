import t from 'tap';
import { cellFrom } from '../../src/stats/cells.js';
import { meanOfItemMeans } from '../../src/stats/item-means.js';
import { sumsOf } from '../../src/stats/summary.js';

t.test("Chicago's TRUST: the mean of two item means, its interval with their covariance", async (t) => {
  // Every respondent answered both items, so the result must equal the per-respondent index's mean and interval.
  const respect = Array.from({ length: 50 }, (_, i) => (i * 13) % 11).map((v) => v * 10);
  const listening = respect.map((v, i) => Math.min(100, Math.max(0, v + (((i * 7) % 5) - 2) * 10)));
  const index = respect.map((v, i) => (v + listening[i]) / 2);
  const rules = { minGroupSize: 10, minReliableSize: 30, lowReliabilitySize: 60, perturb: false };
  const cell = (v: number[]) => cellFrom({ ...sumsOf(v), noisyAtoms: 0 }, rules);
  const trust = meanOfItemMeans(cell(respect), cell(listening), cell(index))!;
  const indexCell = cell(index);
  t.ok(Math.abs(trust.mean - indexCell.mean!) < 1e-9, 'mean');
  t.ok(Math.abs(trust.se - indexCell.se!) < 1e-9, 'standard error includes the covariance');
  t.ok(Math.abs(trust.ci_low - indexCell.ci_low!) < 1e-9, 'interval');
});
