import { summarize, type Sums } from './summary.js';

export interface CellRules {
  /** Groups below this many responses are suppressed: no n, mean, interval or distribution. */
  minCellSize: number;
  /** Groups below this many responses are flagged "low reliability". */
  lowReliabilitySize: number;
}

/** One reported aggregate, in the shape the JSON API and the charts use. */
export interface Cell {
  /** Null when suppressed, so a hidden group's size cannot be read either. */
  n: number | null;
  mean: number | null;
  sd: number | null;
  ci_low: number | null;
  ci_high: number | null;
  suppressed: boolean;
  low_reliability: boolean;
}

export const suppressedCell: Cell = Object.freeze({
  n: null,
  mean: null,
  sd: null,
  ci_low: null,
  ci_high: null,
  suppressed: true,
  low_reliability: false,
});

/** Applies the reporting rule to a group's sums: suppressed below minCellSize, flagged below lowReliabilitySize. */
export function cellFrom(sums: Sums, rules: CellRules): Cell {
  const summary = sums.n >= rules.minCellSize ? summarize(sums) : null;
  if (!summary) return suppressedCell;
  return {
    n: summary.n,
    mean: summary.mean,
    sd: summary.sd,
    ci_low: summary.ciLow,
    ci_high: summary.ciHigh,
    suppressed: false,
    low_reliability: summary.n < rules.lowReliabilitySize,
  };
}

/**
 * Complementary suppression for parts shown beside their total: when exactly one part is hidden, the total minus
 * the others would reveal it, so the next-smallest part is hidden too. Returns the indexes to suppress.
 */
export function complementarySuppression(partSizes: readonly number[], rules: Pick<CellRules, 'minCellSize'>): Set<number> {
  const hidden = new Set(partSizes.flatMap((n, i) => (n < rules.minCellSize ? [i] : [])));
  // An empty part reveals nothing by subtraction, so only a hidden part with responses needs a complement.
  if (partSizes.filter((n) => n > 0 && n < rules.minCellSize).length !== 1) return hidden;
  let smallest = -1;
  partSizes.forEach((n, i) => {
    if (!hidden.has(i) && (smallest === -1 || n < partSizes[smallest])) smallest = i;
  });
  if (smallest !== -1) hidden.add(smallest);
  return hidden;
}

/** Cells of parts that go with a total, after complementary suppression. */
export function partCells(parts: readonly Sums[], rules: CellRules): Cell[] {
  const hidden = complementarySuppression(
    parts.map((p) => p.n),
    rules,
  );
  return parts.map((p, i) => (hidden.has(i) ? suppressedCell : cellFrom(p, rules)));
}

/** The n, mean and standard error of a shown cell, for differences; null when suppressed. */
export function groupOf(cell: Cell): { n: number; mean: number; se: number } | null {
  if (cell.suppressed || cell.n === null || cell.mean === null || cell.sd === null) return null;
  return { n: cell.n, mean: cell.mean, se: cell.sd / Math.sqrt(cell.n) };
}
