import type { Sums } from './summary.js';
import { addWeightedSums, type WeightedSums } from './weighted.js';

/**
 * Cell-key perturbation (ABS TableBuilder, ONS 2021 Census): every response carries a random 32-bit key; an atom of
 * the release grid (one neighborhood × month × measure, or a group or answer count within it) gets noise that is a
 * fixed function of the sum of its records' keys. The same records always give the same noise, so repeated or
 * overlapping reads cannot average it away, while adding or removing one record draws fresh noise.
 */

/** An atom's census-weighted sums (src/weighting/) with its largest weight, which scales their noise. */
export interface WeightedAtom extends WeightedSums {
  maxW: number;
}

/** Sums of one atom with the sum of its records' cell keys; with its weighted sums when a weighted figure is asked for. */
export interface KeyedSums extends Sums {
  keySum: number;
  /** Null: a weighted figure was asked for but the atom is not weighted yet. */
  weighted?: WeightedAtom | null;
}

/** Weighted sums released for a figure, with the variance their noise adds to Σwy and to Σw. */
export interface ReleasedWeighted extends WeightedSums {
  noiseSumWY: number;
  noiseSumW: number;
}

/** Sums released for a figure: noisy when perturbed, with the number of perturbed atoms behind them. */
export interface ReleasedSums extends Sums {
  /** Atoms whose noise is in these sums (0 for exact figures); the interval adds their variance. */
  noisyAtoms: number;
  /** Weighted sums when asked for: null when an atom of the figure has no weights yet (the figure is then unweighted). */
  weighted?: ReleasedWeighted | null;
}

/** Standard deviation of the noise on an atom's sum of 0–100 scores: sets the attack bound (see README, "Privacy"). */
export const SUM_NOISE_SD = 45;
/**
 * Standard deviation of the (integer) noise on an atom's count. The mean's error from it is about the mean times it,
 * so it stays small: the attack bound rests on the noise of the sums.
 */
export const COUNT_NOISE_SD = 1;
/** Noise on an atom's sum of squared scores, on the same footing as the sum's (a score near 50 moves it 100× as much). */
export const SUM_SQUARES_NOISE_SD = 100 * SUM_NOISE_SD;

export const emptyReleased: ReleasedSums = Object.freeze({ n: 0, sum: 0, sumSquares: 0, noisyAtoms: 0 });

/** A 32-bit hash of an atom's kind (measure, question, option), so atoms with the same records get unrelated noise. */
export function atomSalt(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// murmur3's finaliser: every input bit flips about half the output bits.
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in (0, 1), a fixed function of the cell key, the atom's salt and a stream number. */
function uniform(cellKey: number, salt: number, stream: number): number {
  const h = mix32(mix32(mix32(cellKey ^ salt) + Math.imul(stream + 1, 0x9e3779b9)) ^ salt);
  return (h + 0.5) / 4294967296;
}

/** A standard normal number from two uniforms (Box–Muller). */
function normal(cellKey: number, salt: number, stream: number): number {
  return Math.sqrt(-2 * Math.log(uniform(cellKey, salt, 2 * stream))) * Math.cos(2 * Math.PI * uniform(cellKey, salt, 2 * stream + 1));
}

/** The cell key of a set of records: their keys' sum modulo 2^32 (uniform whatever the records). */
export const cellKeyOf = (keySum: number) => keySum % 4294967296;

/** An atom's released sums: exact, or with its fixed noise on count, sum and sum of squares. An empty atom stays empty. */
export function releaseAtom(atom: KeyedSums, salt: number, perturb: boolean): ReleasedSums {
  if (atom.n === 0) return emptyReleased;
  const weighted = atom.weighted === undefined ? {} : { weighted: atom.weighted && releaseWeighted(atom.weighted, atom.keySum, salt, perturb) };
  if (!perturb) return { n: atom.n, sum: atom.sum, sumSquares: atom.sumSquares, noisyAtoms: 0, ...weighted };
  const key = cellKeyOf(atom.keySum);
  return {
    n: atom.n + Math.round(COUNT_NOISE_SD * normal(key, salt, 0)),
    sum: atom.sum + SUM_NOISE_SD * normal(key, salt, 1),
    sumSquares: atom.sumSquares + SUM_SQUARES_NOISE_SD * normal(key, salt, 2),
    noisyAtoms: 1,
    ...weighted,
  };
}

/**
 * An atom's weighted sums: exact, or with noise of its own, as large on Σwy as one response of the atom's largest weight
 * scoring 45 points, so no response stands out more than in an unweighted figure. The noise is drawn afresh whenever the
 * weights change (a salt from Σw), never the same noise on different weights, whose difference would be exact. Protected
 * figures use only Σw, Σw² and Σwy; the other sums are not released.
 */
function releaseWeighted(atom: WeightedAtom, keySum: number, salt: number, perturb: boolean): ReleasedWeighted {
  if (!perturb) return { ...atom, noiseSumWY: 0, noiseSumW: 0 };
  const key = cellKeyOf(keySum);
  const weightSalt = atomSalt('weighted', salt, Math.round(atom.sumW * 1000));
  const scale = atom.maxW;
  return {
    n: atom.n,
    sumW: Math.max(scale * 0.5, atom.sumW + scale * COUNT_NOISE_SD * normal(key, weightSalt, 0)),
    sumW2: Math.max(scale * scale * 0.25, atom.sumW2 + scale * scale * COUNT_NOISE_SD * normal(key, weightSalt, 2)),
    sumWY: atom.sumWY + scale * SUM_NOISE_SD * normal(key, weightSalt, 1),
    sumWY2: 0,
    sumW2Y: 0,
    sumW2Y2: 0,
    noiseSumWY: (scale * SUM_NOISE_SD) ** 2,
    noiseSumW: (scale * COUNT_NOISE_SD) ** 2,
  };
}

/** A released count (answers, themes): the atom's count plus its fixed integer noise. */
export function releaseCount(count: number, keySum: number, salt: number, perturb: boolean): number {
  if (count === 0 || !perturb) return count;
  return count + Math.round(COUNT_NOISE_SD * normal(cellKeyOf(keySum), salt, 0));
}

export function addReleased(a: ReleasedSums, b: ReleasedSums): ReleasedSums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares, noisyAtoms: a.noisyAtoms + b.noisyAtoms, ...combineWeighted(a, b, 1) };
}

export function subtractReleased(a: ReleasedSums, b: ReleasedSums): ReleasedSums {
  return { n: a.n - b.n, sum: a.sum - b.sum, sumSquares: a.sumSquares - b.sumSquares, noisyAtoms: a.noisyAtoms + b.noisyAtoms, ...combineWeighted(a, b, -1) };
}

/** The weighted part of a ± b: absent when neither has one, null when either side has atoms without weights. */
function combineWeighted(a: ReleasedSums, b: ReleasedSums, sign: 1 | -1): Pick<ReleasedSums, 'weighted'> {
  if (a.weighted === undefined && b.weighted === undefined) return {};
  // An empty side (no atoms) has nothing to weigh.
  if (b.n === 0 && b.noisyAtoms === 0 && b.weighted === undefined) return { weighted: a.weighted };
  if (a.n === 0 && a.noisyAtoms === 0 && a.weighted === undefined) return { weighted: b.weighted && (sign === 1 ? b.weighted : negate(b.weighted)) };
  if (!a.weighted || !b.weighted) return { weighted: null };
  const sums = addWeightedSums(a.weighted, sign === 1 ? b.weighted : negate(b.weighted));
  return { weighted: { ...sums, noiseSumWY: a.weighted.noiseSumWY + b.weighted.noiseSumWY, noiseSumW: a.weighted.noiseSumW + b.weighted.noiseSumW } };
}

const negate = (w: ReleasedWeighted): ReleasedWeighted => ({
  ...w,
  n: -w.n,
  sumW: -w.sumW,
  sumW2: -w.sumW2,
  sumWY: -w.sumWY,
  sumWY2: -w.sumWY2,
  sumW2Y: -w.sumW2Y,
  sumW2Y2: -w.sumW2Y2,
});

/** Variance the noise adds to a mean of `n` responses over `noisyAtoms` atoms (delta method on sum / count). */
export function noiseVarianceOfMean(mean: number, n: number, noisyAtoms: number): number {
  if (noisyAtoms === 0 || n <= 0) return 0;
  return (noisyAtoms * (SUM_NOISE_SD ** 2 + mean * mean * COUNT_NOISE_SD ** 2)) / (n * n);
}
