/**
 * Raking (iterative proportional fitting) of respondents to census margins, with the rules of docs/method.md
 * ("Weighting to the census"): small categories merged, margins dropped last-first when raking does not converge,
 * weights capped at 5 × the mean and re-raked, answers the census has no count for raked on the other margins only.
 */

/** One demographic question's census counts; categories in the order neighbours merge (age bands youngest first). */
export interface Margin {
  name: string;
  targets: readonly { category: string; total: number }[];
}

export interface RakingInput {
  /** In order of priority: when raking does not converge, the last margin still used is dropped first. */
  margins: readonly Margin[];
  /** Each respondent's category on each margin, in the margins' order; null for "prefer not to say" or skipped. */
  respondents: readonly (readonly (string | null)[])[];
  /** Weights before raking (1 each when absent); raking keeps their relative sizes within every cell it adjusts. */
  baseWeights?: readonly number[];
}

export interface RakingOptions {
  /** Categories with fewer respondents than this are merged with a neighbour (the rule: 5). */
  minCellSize: number;
  /** Sweeps over all margins before raking counts as not converging. */
  maxIterations: number;
  /** Converged when every used margin's weighted total is within this relative gap of its target. */
  tolerance: number;
  /** Weights are capped at this many times the mean weight (anesrake's default cap is 5); Infinity turns trimming off. */
  trimCap: number;
  /** Bound on cap-then-rerake rounds. */
  maxTrimRounds: number;
}

export const defaultRakingOptions: RakingOptions = Object.freeze({
  minCellSize: 5,
  maxIterations: 1000,
  tolerance: 1e-10,
  trimCap: 5,
  maxTrimRounds: 100,
});

export interface MarginReport {
  name: string;
  status: 'used' | 'dropped: raking did not converge' | 'dropped: nobody answered';
  /** Groups of neighbouring categories raked as one because one of them had too few respondents or no census count. */
  merged: string[][];
  /** Respondents raked on the other margins only: no answer, or an answer the census has no count for. */
  notAnswered: number;
}

export interface RakingResult {
  /** One weight per respondent, summing to the population total (the first margin's total). */
  weights: number[];
  /** Whether the final weights meet every used margin (false only when trimming's re-raking could not). */
  converged: boolean;
  /** Sweeps of the last raking. */
  iterations: number;
  /** Names of the margins the weights meet, in priority order. */
  used: string[];
  margins: MarginReport[];
  /** Cap-then-rerake rounds run. */
  trimRounds: number;
  /** Largest weight over the mean weight. */
  largestWeightRatio: number;
  /** False when the trimming rounds ran out with a weight still above the cap; the weights then still meet the margins. */
  withinCap: boolean;
  /** Largest relative gap between a used margin's weighted category total and its target. */
  largestMarginGap: number;
}

interface PreparedMargin {
  /** Each respondent's merged cell, or −1 when raked on the other margins only. */
  cellOf: Int32Array;
  /** Census share of each merged cell. */
  shares: Float64Array;
  report: MarginReport;
}

interface Raked {
  weights: Float64Array;
  converged: boolean;
  iterations: number;
  gap: number;
}

/** Weights for respondents so their weighted shares match the census margins; see RakingResult for what is reported. */
export function rake(input: RakingInput, options: Partial<RakingOptions> = {}): RakingResult {
  const o = { ...defaultRakingOptions, ...options };
  if (!(o.minCellSize >= 1)) throw new RangeError('minCellSize must be at least 1: a cell with no respondents cannot be raked');
  const n = input.respondents.length;
  const base = Float64Array.from(input.baseWeights ?? new Array<number>(n).fill(1));
  if (base.length !== n) throw new RangeError(`${base.length} base weights for ${n} respondents`);
  if (base.some((w) => !(w > 0 && Number.isFinite(w)))) throw new RangeError('base weights must be positive and finite');
  for (const r of input.respondents) {
    if (r.length !== input.margins.length) throw new RangeError(`a respondent has ${r.length} categories for ${input.margins.length} margins`);
  }
  for (const m of input.margins) {
    if (m.targets.some((t) => !(t.total >= 0 && Number.isFinite(t.total)))) throw new RangeError(`margin ${m.name}: targets must be finite and not negative`);
    if (!(totalOf(m) > 0)) throw new RangeError(`margin ${m.name}: targets add up to nothing`);
  }
  // Census tables for age and race count slightly different universes, so margins are used as shares of one total.
  const population = input.margins.length > 0 ? totalOf(input.margins[0]) : base.reduce((a, b) => a + b, 0);

  const prepared = input.margins.map((m, k) => prepare(m, k, input.respondents, o.minCellSize));
  let used = prepared.filter((m) => m.report.status === 'used');
  let raked = rakeTo(base, used, population, o);
  // Dropping last-first keeps the margins the admin ranked first; the failing one is hard to name when all oscillate.
  while (!raked.converged && used.length > 1) {
    used[used.length - 1].report.status = 'dropped: raking did not converge';
    used = used.slice(0, -1);
    raked = rakeTo(base, used, population, o);
  }

  const cap = (o.trimCap * population) / Math.max(n, 1);
  // The cap is met to one part in a million: re-raking approaches it geometrically and never lands exactly on it.
  const exceeds = (w: Float64Array) => w.some((x) => x > cap * (1 + 1e-6));
  let trimRounds = 0;
  while (raked.converged && exceeds(raked.weights) && trimRounds < o.maxTrimRounds) {
    trimRounds += 1;
    const rerake = rakeTo(
      raked.weights.map((w) => Math.min(w, cap)),
      used,
      population,
      o,
    );
    // Trimming changes no weight to zero, so re-raking converges whenever raking did; if not, the last met weights stay.
    if (!rerake.converged) break;
    raked = rerake;
  }

  const weights = Array.from(raked.weights);
  const largest = weights.reduce((a, b) => Math.max(a, b), 0);
  return {
    weights,
    converged: raked.converged,
    iterations: raked.iterations,
    used: used.map((m) => m.report.name),
    margins: prepared.map((m) => m.report),
    trimRounds,
    largestWeightRatio: n > 0 ? largest / (population / n) : 0,
    withinCap: !exceeds(raked.weights),
    largestMarginGap: raked.gap,
  };
}

const totalOf = (m: Margin) => m.targets.reduce((a, t) => a + t.total, 0);

/** Maps respondents to merged cells; answers with no census category count as not answered (the census has no target). */
function prepare(margin: Margin, k: number, respondents: RakingInput['respondents'], minCellSize: number): PreparedMargin {
  const index = new Map(margin.targets.map((t, i) => [t.category, i]));
  const categoryOf = Int32Array.from(respondents, (r) => {
    const answer = r[k];
    return answer === null ? -1 : (index.get(answer) ?? -1);
  });
  const counts = margin.targets.map(() => 0);
  for (const c of categoryOf) if (c >= 0) counts[c] += 1;
  const answered = counts.reduce((a, b) => a + b, 0);
  const groups = mergeSmallCells(
    counts,
    margin.targets.map((t) => t.total),
    minCellSize,
  );
  const cellOfCategory = new Int32Array(counts.length);
  groups.forEach((g, cell) => g.forEach((c) => (cellOfCategory[c] = cell)));
  const total = totalOf(margin);
  return {
    cellOf: categoryOf.map((c) => (c >= 0 ? cellOfCategory[c] : -1)),
    shares: Float64Array.from(groups, (g) => g.reduce((a, c) => a + margin.targets[c].total, 0) / total),
    report: {
      name: margin.name,
      status: answered === 0 ? 'dropped: nobody answered' : 'used',
      merged: groups.filter((g) => g.length > 1).map((g) => g.map((c) => margin.targets[c].category)),
      notAnswered: respondents.length - answered,
    },
  };
}

/**
 * Merges categories until each has `min` respondents and a census count: the smallest short category (the first on a
 * tie) joins whichever neighbour in the margin's order has fewer respondents (the preceding one on a tie).
 * Returns groups of category indices, each a run of neighbours.
 */
export function mergeSmallCells(counts: readonly number[], targets: readonly number[], min: number): number[][] {
  const cells = counts.map((count, i) => ({ members: [i], count, target: targets[i] }));
  const short = (c: (typeof cells)[number]) => c.count < min || c.target === 0;
  while (cells.length > 1) {
    let k = -1;
    cells.forEach((c, i) => {
      if (short(c) && (k < 0 || c.count < cells[k].count)) k = i;
    });
    if (k < 0) break;
    const before = cells[k - 1];
    const after = cells[k + 1];
    const first = after === undefined || (before !== undefined && before.count <= after.count) ? k - 1 : k;
    const [a, b] = [cells[first], cells[first + 1]];
    cells.splice(first, 2, { members: [...a.members, ...b.members], count: a.count + b.count, target: a.target + b.target });
  }
  return cells.map((c) => c.members);
}

/** Iterative proportional fitting from `seed`, scaled first to the population total that every sweep then preserves. */
function rakeTo(seed: Float64Array, margins: readonly PreparedMargin[], population: number, o: RakingOptions): Raked {
  const scale = population / seed.reduce((a, b) => a + b, 0);
  const weights = seed.map((w) => w * scale);
  if (margins.length === 0) return { weights, converged: true, iterations: 0, gap: 0 };
  let gap = Infinity;
  for (let iteration = 1; iteration <= o.maxIterations; iteration++) {
    for (const m of margins) adjust(weights, m);
    gap = Math.max(...margins.map((m) => largestGap(weights, m)));
    if (gap <= o.tolerance) return { weights, converged: true, iterations: iteration, gap };
  }
  return { weights, converged: false, iterations: o.maxIterations, gap };
}

/** Weighted total of each cell, and of all who answered the margin. */
function cellTotals(weights: Float64Array, m: PreparedMargin): { totals: Float64Array; answered: number } {
  const totals = new Float64Array(m.shares.length);
  for (let i = 0; i < weights.length; i++) {
    const c = m.cellOf[i];
    if (c >= 0) totals[c] += weights[i];
  }
  return { totals, answered: totals.reduce((a, b) => a + b, 0) };
}

/**
 * One margin's step. As anesrake treats NA: who did not answer keeps their weight, and the census shares apply to the
 * weight of those who did, so the margin neither favours nor penalises not answering.
 */
function adjust(weights: Float64Array, m: PreparedMargin): void {
  const { totals, answered } = cellTotals(weights, m);
  const factors = totals.map((t, c) => (m.shares[c] * answered) / t);
  for (let i = 0; i < weights.length; i++) {
    const c = m.cellOf[i];
    if (c >= 0) weights[i] *= factors[c];
  }
}

function largestGap(weights: Float64Array, m: PreparedMargin): number {
  const { totals, answered } = cellTotals(weights, m);
  return totals.reduce((gap, t, c) => Math.max(gap, Math.abs(t / (m.shares[c] * answered) - 1)), 0);
}
