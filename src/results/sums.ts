import type { KeyedSums } from '../stats/perturbation.js';
import type { SampleKind } from './filters.js';

// The sums figures are computed from, as the results repository loads them (one query per kind); pure code computes.

/** A span of days, inclusive, written YYYY-MM-DD. */
export interface DayRange {
  from: string;
  to: string;
}

export interface MonthRow extends KeyedSums {
  measure: string;
  month: string;
  neighborhoodId: number;
  /** A sample's part of the atom: the exact count of the atom's other part (the complementary rule checks both). */
  complement?: number;
}

/** Rollup sums per measure × neighborhood × month (the release grid's base cells) over the whole months [from, to]. */
export interface MonthSums extends DayRange {
  measures: readonly string[];
  rows: readonly MonthRow[];
  /** The sample the rows count (all responses unless asked). */
  sample: SampleKind;
  /**
   * The rows again, per measure and month (`measure|month`), as the results repository caches them and shares them
   * between requests: derived figures that depend on a month's rows alone may be kept with them.
   */
  cells?: ReadonlyMap<string, readonly MonthRow[]>;
}

export interface GroupRow extends KeyedSums {
  measure: string;
  neighborhoodId: number;
  question: string;
  value: string;
  month: string;
}

export interface DistributionRow {
  questionId: number;
  month: string;
  value: number;
  n: number;
  keySum: number;
}

export interface IssueRow {
  text: string;
  month: string;
  n: number;
  keySum: number;
}

/** A neighborhood-month's live responses and how many came through an invitation. */
export interface SampleCountRow {
  month: string;
  n: number;
  invitation: number;
}

/** The smallest range holding all of them. */
export function spanning(...ranges: DayRange[]): DayRange {
  return ranges.reduce((a, b) => ({ from: a.from < b.from ? a.from : b.from, to: a.to > b.to ? a.to : b.to }));
}

/** What a neighborhood's page counts: every measure's month sums, and its groups, answers and issues. */
export interface NeighborhoodSums {
  months: MonthSums;
  /** The chosen measure's sums per choice answer in the neighborhood. */
  groups: readonly GroupRow[];
  distributions: readonly DistributionRow[];
  issues: readonly IssueRow[];
  /** For a sample's page: the neighborhood's responses per month, split by sample (empty for all responses). */
  counts: readonly SampleCountRow[];
}

/** What the aggregates CSV counts: every measure's month sums, and the Chicago splits' sums per choice answer in every neighborhood. */
export interface AggregateSums {
  months: MonthSums;
  groups: readonly GroupRow[];
}
