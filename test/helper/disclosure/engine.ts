/**
 * A linear-Gaussian attacker: every released figure is a known linear combination of per-record unknowns plus
 * (optionally) shared noise unknowns. Conditioning a weak prior on all figures gives the posterior covariance of the
 * per-record unknowns, i.e. the covariance of the best (generalised least-squares) estimate an attacker can make of
 * any linear combination of them — in particular of the total score of a small group of responses.
 *
 * Pure arithmetic on Float64Array: no I/O, no dependencies.
 */

/** A sparse linear combination: unknown id → coefficient. */
export type Combination = ReadonlyMap<string, number>;

export interface NoiseTerm {
  /** One noise unknown per atom version: the same id wherever the same atom with the same records is read again. */
  id: string;
  /** Prior variance of the noise; 0 means the term is exact and is left out. */
  variance: number;
  /** How the noise enters the figure (1 for a plain sum; e.g. a score weight when a figure is built from counts). */
  coef?: number;
}

export interface Figure {
  /** What was read, for messages (route, query and cell). */
  label: string;
  terms: Combination;
  value: number;
  noise: readonly NoiseTerm[];
}

export interface Prior {
  mean: number;
  variance: number;
}

/** A redundant exact figure that disagreed with the others: the figure-to-record mapping (or the data) is wrong. */
export interface Inconsistency {
  label: string;
  residual: number;
}

interface Component {
  ids: string[];
  index: Map<string, number>;
  cov: Float64Array;
  mean: Float64Array;
}

/** Union-find over unknown ids, so independent blocks (e.g. different measures) are solved separately. */
class Blocks {
  private parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    if (!this.parent.has(x)) this.parent.set(x, x);
    // Path compression keeps later look-ups short.
    for (let y = x; y !== root;) {
      const next = this.parent.get(y)!;
      this.parent.set(y, root);
      y = next;
    }
    return root;
  }
  union(a: string, b: string) {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

export class Posterior {
  private readonly component = new Map<string, Component>();

  constructor(
    components: Component[],
    private readonly prior: (id: string) => Prior,
    readonly inconsistencies: Inconsistency[],
    readonly figuresUsed: number,
    readonly figuresRedundant: number,
  ) {
    for (const c of components) for (const id of c.ids) this.component.set(id, c);
  }

  /** Posterior mean of a combination: the attacker's GLS estimate. */
  mean(combo: Combination): number {
    let m = 0;
    for (const [id, coef] of combo) {
      const c = this.component.get(id);
      m += coef * (c ? c.mean[c.index.get(id)!] : this.prior(id).mean);
    }
    return m;
  }

  /** Posterior covariance of two combinations (unknowns in different blocks are independent). */
  covariance(a: Combination, b: Combination): number {
    let v = 0;
    for (const [ia, ca] of a) {
      const comp = this.component.get(ia);
      for (const [ib, cb] of b) {
        if (!comp) {
          if (ia === ib) v += ca * cb * this.prior(ia).variance;
          continue;
        }
        if (this.component.get(ib) !== comp) continue;
        const n = comp.ids.length;
        v += ca * cb * comp.cov[comp.index.get(ia)! * n + comp.index.get(ib)!];
      }
    }
    return v;
  }

  sd(combo: Combination): number {
    return Math.sqrt(Math.max(0, this.covariance(combo, combo)));
  }
}

/**
 * Conditions the prior on each figure in turn (exactly: noise unknowns are part of the state, so every figure is an
 * exact linear constraint on records + noise). A figure the earlier ones already determine is redundant: skipped,
 * and checked for consistency.
 */
export function solve(figures: readonly Figure[], prior: (id: string) => Prior, noisePrior = new Map<string, number>()): Posterior {
  const blocks = new Blocks();
  const noiseVariance = new Map(noisePrior);
  const active = figures.map((f) => {
    const noise = f.noise.filter((n) => n.variance > 0);
    for (const n of noise) noiseVariance.set(n.id, n.variance);
    const ids = [...f.terms.keys(), ...noise.map((n) => n.id)];
    for (const id of ids) blocks.union(ids[0], id);
    return { f, noise };
  });
  const priorOf = (id: string): Prior => (noiseVariance.has(id) ? { mean: 0, variance: noiseVariance.get(id)! } : prior(id));

  const members = new Map<string, string[]>();
  for (const { f, noise } of active)
    for (const id of [...f.terms.keys(), ...noise.map((n) => n.id)]) {
      const root = blocks.find(id);
      const list = members.get(root) ?? members.set(root, []).get(root)!;
      list.push(id);
    }
  const components = new Map<string, Component>();
  for (const [root, list] of members) {
    const ids = [...new Set(list)];
    const n = ids.length;
    const cov = new Float64Array(n * n);
    const mean = new Float64Array(n);
    ids.forEach((id, i) => {
      const p = priorOf(id);
      cov[i * n + i] = p.variance;
      mean[i] = p.mean;
    });
    components.set(root, { ids, index: new Map(ids.map((id, i) => [id, i])), cov, mean });
  }

  const inconsistencies: Inconsistency[] = [];
  let used = 0;
  let redundant = 0;
  for (const { f, noise } of active) {
    const first = f.terms.keys().next().value ?? noise[0]?.id;
    if (first === undefined) continue;
    const comp = components.get(blocks.find(first))!;
    const n = comp.ids.length;
    // Sparse row a of the constraint a·z = value over this block.
    const idx: number[] = [];
    const coef: number[] = [];
    for (const [id, c] of f.terms) {
      idx.push(comp.index.get(id)!);
      coef.push(c);
    }
    for (const t of noise) {
      idx.push(comp.index.get(t.id)!);
      coef.push(t.coef ?? 1);
    }
    // s = Σa, q = aᵀΣa (the figure's current variance), q0 = its prior variance.
    const s = new Float64Array(n);
    for (let k = 0; k < idx.length; k++) {
      const row = idx[k] * n;
      for (let i = 0; i < n; i++) s[i] += coef[k] * comp.cov[row + i];
    }
    let q = 0;
    let q0 = 0;
    let noiseVar = 0;
    let predicted = 0;
    for (let k = 0; k < idx.length; k++) {
      q += coef[k] * s[idx[k]];
      const v = coef[k] * coef[k] * priorOf(comp.ids[idx[k]]).variance;
      q0 += v;
      if (k >= f.terms.size) noiseVar += v;
      predicted += coef[k] * comp.mean[idx[k]];
    }
    const residual = f.value - predicted;
    // Relative threshold: the weak prior is ~1e6, so round-off leaves ~1e-9 of it on a determined figure. Noise
    // smaller than that (rounding of a shown mean) is then treated as exact, which only helps the attacker.
    if (q <= 1e-9 * q0) {
      redundant++;
      if (Math.abs(residual) > 1e-4 * Math.max(1, Math.abs(f.value)) + 4 * Math.sqrt(noiseVar)) inconsistencies.push({ label: f.label, residual });
      continue;
    }
    used++;
    const gain = residual / q;
    for (let i = 0; i < n; i++) comp.mean[i] += s[i] * gain;
    for (let i = 0; i < n; i++) {
      const si = s[i] / q;
      if (si === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) comp.cov[row + j] -= si * s[j];
    }
  }
  return new Posterior([...components.values()], priorOf, inconsistencies, used, redundant);
}

/** In-place Cholesky of a symmetric matrix; false when it is not positive definite. */
export function isPositiveDefinite(matrix: Float64Array, n: number): boolean {
  const a = Float64Array.from(matrix);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let v = a[i * n + j];
      for (let k = 0; k < j; k++) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l;
    }
  }
  return true;
}

export interface Target {
  /** A response's id. */
  record: string;
  /** Its score on the measure as a combination of per-item unknowns (e.g. trust = ½ respect + ½ listening). */
  combo: Combination;
  /** Its true score, for reporting what was recovered. */
  truth: number;
}

export interface GroupFinding {
  records: string[];
  sd: number;
  estimate: number;
  truth: number;
  /** How the group was found: a named candidate, a singleton, or the greedy search. */
  how: string;
}

export interface GroupAnalysis {
  /** True when λ_min of the per-record posterior covariance is at least bound²: every group's SD is then ≥ bound. */
  provenByEigenvalue: boolean;
  worst: GroupFinding;
  /** Every distinct group found under the bound, worst first. */
  under: GroupFinding[];
  /** Each of the caller's candidate groups (of 1–maxSize records) with its SD. */
  candidates: GroupFinding[];
}

/**
 * The SD of the attacker's estimate of the total of every group of 1–maxSize responses. First the sound shortcut
 * (Cholesky of K − bound²·I: if it succeeds, every group of any size has SD ≥ bound, since 1ᵀK_G1 ≥ λ_min·|G|);
 * otherwise singletons, the caller's candidate groups (hidden cells, records that differ between versions) and a
 * greedy search that grows each record into the group whose total is best determined.
 */
export function analyseGroups(
  posterior: Posterior,
  targets: readonly Target[],
  options: { bound: number; maxSize?: number; candidates?: { how: string; records: readonly string[] }[] },
): GroupAnalysis {
  const maxSize = options.maxSize ?? 9;
  const m = targets.length;
  const K = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = i; j < m; j++) {
      const v = posterior.covariance(targets[i].combo, targets[j].combo);
      K[i * m + j] = v;
      K[j * m + i] = v;
    }
  const position = new Map(targets.map((t, i) => [t.record, i]));
  const finding = (members: number[], how: string): GroupFinding => {
    let variance = 0;
    for (const i of members) for (const j of members) variance += K[i * m + j];
    const combo = new Map<string, number>();
    for (const i of members) for (const [id, c] of targets[i].combo) combo.set(id, (combo.get(id) ?? 0) + c);
    return {
      records: members.map((i) => targets[i].record),
      sd: Math.sqrt(Math.max(0, variance)),
      estimate: posterior.mean(combo),
      truth: members.reduce((acc, i) => acc + targets[i].truth, 0),
      how,
    };
  };

  const shifted = Float64Array.from(K);
  for (let i = 0; i < m; i++) shifted[i * m + i] -= options.bound ** 2;
  const provenByEigenvalue = m === 0 || isPositiveDefinite(shifted, m);

  const found: GroupFinding[] = [];
  for (let i = 0; i < m; i++) found.push(finding([i], 'singleton'));
  const candidates: GroupFinding[] = [];
  for (const c of options.candidates ?? []) {
    const members = c.records.flatMap((r) => (position.has(r) ? [position.get(r)!] : []));
    if (members.length >= 1 && members.length <= maxSize) candidates.push(finding(members, c.how));
  }
  found.push(...candidates);
  if (!provenByEigenvalue) {
    // Greedy: from each record, add the record that lowers the group total's variance most, up to maxSize.
    for (let start = 0; start < m; start++) {
      const members = [start];
      const inGroup = new Uint8Array(m);
      inGroup[start] = 1;
      const rowSum = Float64Array.from(K.subarray(start * m, start * m + m));
      let variance = K[start * m + start];
      let best = { variance, size: 1 };
      while (members.length < maxSize) {
        let pick = -1;
        let pickVariance = Infinity;
        for (let r = 0; r < m; r++) {
          if (inGroup[r]) continue;
          const v = variance + 2 * rowSum[r] + K[r * m + r];
          if (v < pickVariance) {
            pick = r;
            pickVariance = v;
          }
        }
        if (pick === -1) break;
        members.push(pick);
        inGroup[pick] = 1;
        variance = pickVariance;
        for (let r = 0; r < m; r++) rowSum[r] += K[pick * m + r];
        if (variance < best.variance) best = { variance, size: members.length };
      }
      if (best.size > 1) found.push(finding(members.slice(0, best.size), 'greedy search'));
    }
  }
  found.sort((a, b) => a.sd - b.sd);
  const seen = new Set<string>();
  const under = found.filter((g) => {
    const key = [...g.records].sort().join(',');
    if (g.sd >= options.bound || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { provenByEigenvalue, worst: found[0] ?? { records: [], sd: Infinity, estimate: 0, truth: 0, how: 'no records' }, under, candidates };
}
