import type { Combination, Figure, NoiseTerm } from './engine.js';
import { pointTo100, scoreCombo, scoreTruth, type GroundRecord, type SurveyShape } from './records.js';

/** The records counted when a set of figures was read (figures read before and after a change see different sets). */
export interface Phase {
  name: string;
  live: GroundRecord[];
  /** Census weights by record key, as stored (weighted figures are read only when given). */
  weights?: ReadonlyMap<string, number>;
  /** Each weighted atom's released noisy Σw by `measure|neighborhood|YYYY-MM` (protected weighted figures need it). */
  releasedSumW?: ReadonlyMap<string, number>;
}

/** What a figure sums: a measure's scores, or one scale item's scores (from an answer distribution). */
export type Quantity = { kind: 'measure'; measure: string } | { kind: 'item'; code: string };

/** A released cell as the routes show it; mean rounded to `step` (0 for JSON, 0.1 on pages, 0.01 in CSV). */
export interface ShownCell {
  n: number | null;
  mean: number | null;
  suppressed?: boolean;
  /** A census-weighted mean (the JSON cells say so; a reader marks a weighted page's or CSV's cells). */
  weighted?: boolean;
}

export interface Candidate {
  how: string;
  measure: string;
  records: string[];
}

export interface Noise {
  /** SD of the noise added to each atom's released sum of scores. */
  sum: number;
  /** SD of the noise added to each atom's released count (answer distributions). */
  count: number;
}

const month = (date: string) => date.slice(0, 7);

/** Records grouped by atom (neighborhood and month), each group in the records' order. */
function byAtom(records: readonly GroundRecord[]) {
  const groups = new Map<string, GroundRecord[]>();
  for (const r of records) {
    const key = `${r.neighborhood}|${month(r.date)}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return groups;
}

/**
 * Turns every released figure into a linear combination of per-record unknowns. Atoms are (neighborhood, calendar
 * month, quantity[, group]); with perturbation each figure carries one noise unknown per atom version it covers —
 * identified by the atom and its exact records, so re-reading shares the noise and any change of records gets fresh
 * noise. A figure that is not a union of whole atoms is taken as exact (the conservative reading).
 *
 * Census-weighted means (`weightedCell`) are read by a strong attacker who knows every response's weight (the worst
 * case: weights follow age, gender and race, which an attacker may guess). A shown weighted mean is noisy Σwy over
 * noisy Σw, with noise per atom of SD 45 × the atom's largest weight on Σwy and 1 × it on Σw. The attacker is granted
 * the noisy Σw: the interval gives it away (se² − sd²/n_eff is the noise's variance, whose Σ(45·maxW)² + mean²·Σ maxW²
 * it knows, over Σw²), so mean × Σw is read as the noisy Σwy — linear in the scores with known coefficients wᵢ and the
 * Σwy noise alone (the Σw noise is known, not an unknown: only in the attacker's favour). The value fed in is mean ×
 * the noisy Σw, each atom's as the release computes it (`Phase.releasedSumW`): mean × the true Σw would be off by
 * mean × the Σw noise, which no noise term carries (about once in 190 runs a true figure then contradicted the others
 * by more than 4 SD). Only values depend on it, never an SD. n and n_eff describe counts and weights, not scores. A weighted atom's noise is keyed, as
 * the release draws it, on its records and its Σw and Σw² to 0.001, so two reads share it unless either changed.
 */
export class Collector {
  readonly figures: Figure[] = [];
  readonly candidates: Candidate[] = [];
  /** Shown figures whose n or sum disagrees with the ground truth: the mapping to records is wrong (checked when exact). */
  readonly mismatches: string[] = [];
  /** Shown figures that are not unions of whole atoms (e.g. part of a month), kept as exact. */
  readonly nonAtom = new Set<string>();
  requests = 0;
  /** The unit weights are read in (any positive constant: a weighted mean does not depend on it). */
  weightUnit = 1;
  /** Distinct weighted means read. */
  weightedFigures = 0;
  /** What each phase showed, by figure label: a label whose shown value differs between two phases moved. */
  readonly shown = new Map<string, Map<string, string>>();
  private readonly seen = new Set<string>();

  private log(phase: Phase, label: string, value: unknown) {
    const byLabel = this.shown.get(phase.name) ?? this.shown.set(phase.name, new Map()).get(phase.name)!;
    // Sums of fractional scores may differ in the last bits once a response is added and removed again.
    byLabel.set(
      label,
      JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(6)) : v)),
    );
  }

  /** Figures read in both phases whose shown value differs: label, then the value shown in each. */
  moved(a: string, b: string): string[] {
    const before = this.shown.get(a) ?? new Map<string, string>();
    return [...(this.shown.get(b) ?? [])]
      .filter(([label, v]) => before.has(label) && before.get(label) !== v)
      .map(([label, v]) => `${label}: ${before.get(label)} → ${v}`);
  }

  constructor(
    private readonly shape: SurveyShape,
    private readonly noise: Noise | null,
    readonly neighborhoods: readonly string[],
  ) {}

  /** The measure a quantity's small groups are judged on (an item's own dimension). */
  measureOf(q: Quantity): string | null {
    if (q.kind === 'measure') return q.measure;
    for (const [m, items] of this.shape.measures) if (items.length === 1 && items[0] === q.code) return m;
    return null;
  }

  private readonly scored = new Map<string, Set<string>>();
  private readonly combos = new Map<GroundRecord, Map<string, { combo: Combination; truth: number }>>();
  /** A phase's records by neighborhood and month (a phase's records never change). */
  private readonly atomsByPhase = new WeakMap<Phase, Map<string, GroundRecord[]>>();

  /** Whether a record counts in a quantity (memoised: every cell filters every record). */
  private has(r: GroundRecord, q: Quantity) {
    if (q.kind === 'item') return r.items.has(q.code);
    let measures = this.scored.get(r.key);
    if (!measures) this.scored.set(r.key, (measures = new Set([...this.shape.measures.keys()].filter((m) => scoreCombo(this.shape, r, m)))));
    return measures.has(q.measure);
  }

  private atoms(phase: Phase) {
    let atoms = this.atomsByPhase.get(phase);
    if (!atoms) this.atomsByPhase.set(phase, (atoms = byAtom(phase.live)));
    return atoms;
  }

  /** A phase's records by neighborhood, sorted by date, each with its place in the phase (cells cover a few months). */
  private readonly areasByPhase = new WeakMap<Phase, Map<string, { record: GroundRecord; at: number }[]>>();

  /** The phase's records of `areas` between `from` and `to` that count in `q` (and pass `extra`), in the phase's order. */
  members(phase: Phase, areas: readonly string[], from: string, to: string, q: Quantity, extra?: (r: GroundRecord) => boolean) {
    let byArea = this.areasByPhase.get(phase);
    if (!byArea) {
      const lists = new Map<string, { record: GroundRecord; at: number }[]>();
      phase.live.forEach((record, at) => {
        const list = lists.get(record.neighborhood);
        if (list) list.push({ record, at });
        else lists.set(record.neighborhood, [{ record, at }]);
      });
      for (const list of lists.values()) list.sort((a, b) => (a.record.date < b.record.date ? -1 : a.record.date > b.record.date ? 1 : a.at - b.at));
      this.areasByPhase.set(phase, (byArea = lists));
    }
    const found: { record: GroundRecord; at: number }[] = [];
    for (const area of new Set(areas)) {
      const list = byArea.get(area) ?? [];
      // The first record on or after `from`.
      let lo = 0;
      for (let hi = list.length; lo < hi;) {
        const mid = (lo + hi) >> 1;
        if (list[mid].record.date < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < list.length && list[i].record.date <= to; i++)
        if (this.has(list[i].record, q) && (!extra || extra(list[i].record))) found.push(list[i]);
    }
    return found.sort((a, b) => a.at - b.at).map((e) => e.record);
  }

  /** A record's score on a measure as item unknowns, and its true value (memoised: figures overlap). */
  private score(r: GroundRecord, measure: string) {
    let byMeasure = this.combos.get(r);
    if (!byMeasure) this.combos.set(r, (byMeasure = new Map()));
    let entry = byMeasure.get(measure);
    if (!entry) byMeasure.set(measure, (entry = { combo: scoreCombo(this.shape, r, measure)!, truth: scoreTruth(this.shape, r, measure)! }));
    return entry;
  }

  /** The sum of `q` over the records as unknowns, each record's part times its weight when given (a weighted sum). */
  private termsOf(records: readonly GroundRecord[], q: Quantity, weight: (r: GroundRecord) => number = () => 1) {
    const terms = new Map<string, number>();
    let truth = 0;
    for (const r of records) {
      if (q.kind === 'measure') {
        const score = this.score(r, q.measure);
        const w = weight(r);
        for (const [id, c] of score.combo) terms.set(id, (terms.get(id) ?? 0) + w * c);
        truth += w * score.truth;
      } else {
        const id = `${r.key}:${q.code}`;
        terms.set(id, (terms.get(id) ?? 0) + 1);
        truth += r.items.get(q.code)!;
      }
    }
    return { terms, truth };
  }

  /**
   * Noise terms of the atoms a figure covers, or null when it covers part of an atom. `sd` may depend on the atom's
   * records (weighted sums: its largest weight), and then so may the atom version's id (weighted sums: their Σw).
   */
  private atomNoise(
    phase: Phase,
    family: string,
    records: readonly GroundRecord[],
    inFamily: (r: GroundRecord) => boolean,
    sd: number | ((atom: readonly GroundRecord[]) => { sd: number; version: string }),
    coef = 1,
  ) {
    const parts = byAtom(records);
    const atoms = this.atoms(phase);
    const terms: NoiseTerm[] = [];
    for (const [key, part] of parts) {
      const atom = (atoms.get(key) ?? []).filter(inFamily);
      if (atom.length !== part.length) return null;
      const scaled = typeof sd === 'number' ? { sd, version: '' } : sd(atom);
      terms.push({ id: `${family}|${key}#${atom.map((r) => r.id).join(',')}${scaled.version}`, variance: scaled.sd * scaled.sd, coef });
    }
    return terms;
  }

  private push(figure: Figure, key: string) {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.figures.push(figure);
  }

  /**
   * A cell: the sum of `q` over the records of `areas` between `from` and `to` (and in `group`, when given: a union
   * of a choice question's options, each option's neighborhood-months its own atoms).
   * A hidden cell of 1–9 records becomes a candidate group for the search.
   */
  cell(
    phase: Phase,
    label: string,
    areas: readonly string[],
    from: string,
    to: string,
    q: Quantity,
    cell: ShownCell,
    step: number,
    group?: { question: string; options: readonly string[] },
  ) {
    if (cell.weighted && !group) return this.weightedCell(phase, label, areas, from, to, q, cell, step);
    this.log(phase, label, { n: cell.n, mean: cell.mean });
    const extra = group && ((r: GroundRecord) => group.options.includes(r.choices.get(group.question) ?? ''));
    const records = this.members(phase, areas, from, to, q, extra);
    const measure = this.measureOf(q);
    if (cell.suppressed || cell.n === null || cell.mean === null) {
      if (measure && records.length >= 1 && records.length <= 9) this.candidates.push({ how: `hidden: ${label}`, measure, records: records.map((r) => r.key) });
      return;
    }
    const { terms, truth } = this.termsOf(records, q);
    const value = cell.n * cell.mean;
    if (!this.noise && (cell.n !== records.length || Math.abs(value - truth) > (cell.n * step) / 2 + 1e-6 * Math.max(1, Math.abs(truth))))
      this.mismatches.push(`${label} [${phase.name}]: shown n=${cell.n} sum=${value.toFixed(3)}, records say n=${records.length} sum=${truth.toFixed(3)}`);
    const noise: NoiseTerm[] = [];
    // Rounding of the shown mean: independent of everything else, shared by every identical display (deduplicated).
    if (step > 0) noise.push({ id: `round:${this.figures.length}`, variance: (cell.n * step) ** 2 / 12 });
    const base = q.kind === 'measure' ? `m:${q.measure}` : `i:${q.code}`;
    const family = base + (group ? `:g:${group.question}=${group.options.join('+')}` : '');
    if (this.noise) {
      // One family per group option (each option's atoms have their own salt), or the measure's own.
      const families: [string, (r: GroundRecord) => boolean][] = group
        ? group.options.map((o) => [`${base}:g:${group.question}=${o}`, (r) => r.choices.get(group.question) === o])
        : [[base, () => true]];
      for (const [name, inOption] of families) {
        const inFamily = (r: GroundRecord) => this.has(r, q) && inOption(r);
        const atoms = this.atomNoise(phase, name, records.filter(inOption), inFamily, this.noise.sum);
        if (atoms) noise.push(...atoms);
        else this.nonAtom.add(label);
      }
    }
    const key = `${family}|${records.map((r) => r.id).join(',')}|${step}|${noise.map((n) => (n.id.startsWith('round:') ? '' : n.id)).join(',')}`;
    this.push({ label: `${label} [${phase.name}]`, terms, value, noise }, key);
  }

  /**
   * A census-weighted mean: Σwy / Σw over the records (src/stats/cells.ts), the attacker knowing every weight (see the
   * header). Its noise is one term per atom, SD `noise.sum` × the atom's largest weight, drawn afresh for new weights;
   * the noise on Σw is granted away (the attacker reads the noisy Σw off the interval), so mean × the noisy Σw is the
   * noisy Σwy.
   */
  weightedCell(phase: Phase, label: string, areas: readonly string[], from: string, to: string, q: Quantity, cell: ShownCell, step: number) {
    this.log(phase, label, { n: cell.n, mean: cell.mean, weighted: true });
    const records = this.members(phase, areas, from, to, q);
    const measure = this.measureOf(q);
    if (cell.suppressed || cell.n === null || cell.mean === null) {
      if (measure && records.length >= 1 && records.length <= 9) this.candidates.push({ how: `hidden: ${label}`, measure, records: records.map((r) => r.key) });
      return;
    }
    const stored = (r: GroundRecord) => {
      const w = phase.weights?.get(r.key);
      if (w === undefined) throw new Error(`${label} [${phase.name}]: a weighted figure counts ${r.key}, which has no weight`);
      return w;
    };
    // In units of `weightUnit`, so weighted rows are on the scale of unweighted ones (the engine's weak prior is 1000²).
    const weight = (r: GroundRecord) => stored(r) / this.weightUnit;
    const { terms, truth } = this.termsOf(records, q, weight);
    const sumW = records.reduce((acc, r) => acc + weight(r), 0);
    const value = cell.mean * (this.noise ? (this.releasedSumW(phase, label, records, q) ?? sumW) : sumW);
    if (!this.noise && (cell.n !== records.length || Math.abs(value - truth) > (sumW * step) / 2 + 1e-6 * Math.max(1, Math.abs(truth))))
      this.mismatches.push(`${label} [${phase.name}]: shown n=${cell.n} Σwy=${value.toFixed(3)}, records say n=${records.length} Σwy=${truth.toFixed(3)}`);
    const noise: NoiseTerm[] = [];
    if (step > 0) noise.push({ id: `round:${this.figures.length}`, variance: (sumW * step) ** 2 / 12 });
    const family = `w:${q.kind === 'measure' ? `m:${q.measure}` : `i:${q.code}`}`;
    // The noise is a function of the atom's records and of its Σw and Σw² to 0.001 (src/stats/perturbation.ts).
    const version = (atom: readonly GroundRecord[]) =>
      `@${Math.round(atom.reduce((acc, r) => acc + stored(r), 0) * 1000)},${Math.round(atom.reduce((acc, r) => acc + stored(r) ** 2, 0) * 1000)}`;
    if (this.noise) {
      const sd = this.noise.sum;
      const atoms = this.atomNoise(
        phase,
        family,
        records,
        (r) => this.has(r, q),
        (atom) => ({ sd: sd * Math.max(...atom.map(weight)), version: version(atom) }),
      );
      if (atoms) noise.push(...atoms);
      else this.nonAtom.add(label);
    }
    const key = `${family}|${records.map((r) => `${r.id}*${stored(r)}`).join(',')}|${step}|${noise.map((n) => (n.id.startsWith('round:') ? '' : n.id)).join(',')}`;
    if (!this.seen.has(key)) this.weightedFigures++;
    this.push({ label: `${label} [${phase.name}]`, terms, value, noise }, key);
  }

  /**
   * The released (noisy) Σw of the atoms the records make up, in units of `weightUnit`; null when they cover part of
   * an atom (the figure is then kept exact and listed in `nonAtom`).
   */
  private releasedSumW(phase: Phase, label: string, records: readonly GroundRecord[], q: Quantity) {
    if (q.kind !== 'measure') throw new Error(`${label}: a weighted figure of an item, which the attack does not model`);
    const atoms = this.atoms(phase);
    let total = 0;
    for (const [key, part] of byAtom(records)) {
      if ((atoms.get(key) ?? []).filter((r) => this.has(r, q)).length !== part.length) return null;
      const [area, m] = key.split('|');
      const released = phase.releasedSumW?.get(`${q.measure}|${area}|${m}`);
      if (released === undefined) throw new Error(`${label} [${phase.name}]: no released Σw for ${q.measure} ${key}`);
      total += released / this.weightUnit;
    }
    return total;
  }

  /**
   * An answer distribution (counts per scale point over a range): the weighted counts of the points shown give the
   * item's score sum over the records that answered one of them (the attacker is granted who those are); points
   * under the floor show no count.
   */
  distribution(
    phase: Phase,
    label: string,
    area: string,
    from: string,
    to: string,
    code: string,
    shown: { n: number | null; suppressed: boolean; points: { value: number; count: number | null }[] },
  ) {
    this.log(phase, label, shown);
    const q: Quantity = { kind: 'item', code };
    const answered = this.members(phase, [area], from, to, q);
    const measure = this.measureOf(q);
    if (shown.suppressed || shown.n === null) {
      if (measure && answered.length >= 1 && answered.length <= 9)
        this.candidates.push({ how: `hidden: ${label}`, measure, records: answered.map((r) => r.key) });
      return;
    }
    const visible = shown.points.filter((p): p is { value: number; count: number } => p.count !== null);
    const hidden = answered.filter((r) => !visible.some((p) => p.value === r.points.get(code)));
    if (measure && hidden.length >= 1 && hidden.length <= 9)
      this.candidates.push({ how: `hidden points: ${label}`, measure, records: hidden.map((r) => r.key) });
    // With a point hidden, the shown points' weighted counts are a score sum only over the records that chose them,
    // and granting the attacker who those are would hand it their answers: such a figure is not a linear function of
    // scores over a known set, so the score analysis leaves it out (the count analysis still reads its counts).
    if (this.noise && hidden.length > 0) return;
    const records = answered.filter((r) => visible.some((p) => p.value === r.points.get(code)));
    if (records.length === 0) return;
    const item = this.shape.items.find((i) => i.code === code)!;
    const weight = (point: number) => pointTo100(item, point);
    const value = visible.reduce((acc, p) => acc + weight(p.value) * p.count, 0);
    const { terms, truth } = this.termsOf(records, q);
    if (!this.noise && (shown.n !== answered.length || Math.abs(value - truth) > 1e-6 * Math.max(1, truth)))
      this.mismatches.push(`${label} [${phase.name}]: shown n=${shown.n} sum=${value}, records say n=${answered.length} sum=${truth}`);
    const noise: NoiseTerm[] = [];
    if (this.noise) {
      // Each scale point's count is an atom of its own: its noise enters the score sum with the point's weight.
      for (const p of visible) {
        const atoms = this.atomNoise(
          phase,
          `i:${code}=${p.value}`,
          records.filter((r) => r.points.get(code) === p.value),
          (r) => r.points.get(code) === p.value,
          this.noise.count,
          weight(p.value),
        );
        if (atoms) noise.push(...atoms);
        else this.nonAtom.add(label);
      }
    }
    const key = `d:${code}|${records.map((r) => r.id).join(',')}|${noise.map((n) => n.id).join(',')}`;
    this.push({ label: `${label} [${phase.name}]`, terms, value, noise }, key);
  }
}
