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
  const released: ReleasedSums = perturb
    ? {
        n: atom.n + Math.round(COUNT_NOISE_SD * normal(cellKeyOf(atom.keySum), salt, 0)),
        sum: atom.sum + SUM_NOISE_SD * normal(cellKeyOf(atom.keySum), salt, 1),
        sumSquares: atom.sumSquares + SUM_SQUARES_NOISE_SD * normal(cellKeyOf(atom.keySum), salt, 2),
        noisyAtoms: 1,
      }
    : { n: atom.n, sum: atom.sum, sumSquares: atom.sumSquares, noisyAtoms: 0 };
  if (atom.weighted !== undefined) released.weighted = atom.weighted && releaseWeighted(atom.weighted, atom.keySum, salt, perturb);
  return released;
}

/** Weighted sums with the variance their noise adds (literals in one field order: figures add thousands of these). */
const weightedPart = (s: WeightedSums, noiseSumWY: number, noiseSumW: number): ReleasedWeighted => ({
  n: s.n,
  sumW: s.sumW,
  sumW2: s.sumW2,
  sumWY: s.sumWY,
  sumWY2: s.sumWY2,
  sumW2Y: s.sumW2Y,
  sumW2Y2: s.sumW2Y2,
  noiseSumWY,
  noiseSumW,
});

/**
 * An atom's weighted sums: exact, or with noise of its own, as large on Σwy as one response of the atom's largest weight
 * scoring 45 points, so no response stands out more than in an unweighted figure. The noise is drawn afresh whenever the
 * weights change (a salt from Σw and Σw²), never the same noise on different weights, whose difference would be exact. Protected
 * figures use only Σw, Σw² and Σwy; the other sums are not released.
 */
function releaseWeighted(atom: WeightedAtom, keySum: number, salt: number, perturb: boolean): ReleasedWeighted {
  if (!perturb) return weightedPart(atom, 0, 0);
  const key = cellKeyOf(keySum);
  // Σw alone would not do: each month's weights add up to the neighborhood's population, whatever the weighing.
  const weightSalt = atomSalt('weighted', salt, Math.round(atom.sumW * 1000), Math.round(atom.sumW2 * 1000));
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
  return combine(a, b, 1);
}

export function subtractReleased(a: ReleasedSums, b: ReleasedSums): ReleasedSums {
  return combine(a, b, -1);
}

function combine(a: ReleasedSums, b: ReleasedSums, sign: 1 | -1): ReleasedSums {
  const sums: ReleasedSums = {
    n: a.n + sign * b.n,
    sum: a.sum + sign * b.sum,
    sumSquares: a.sumSquares + sign * b.sumSquares,
    noisyAtoms: a.noisyAtoms + b.noisyAtoms,
  };
  if (a.weighted !== undefined || b.weighted !== undefined) sums.weighted = combineWeighted(a, b, sign);
  return sums;
}

const isEmpty = (s: ReleasedSums) => s.n === 0 && s.noisyAtoms === 0 && s.weighted === undefined;

/** The weighted part of a ± b: null when either side has atoms without weights; an empty side (no atoms) adds nothing. */
function combineWeighted(a: ReleasedSums, b: ReleasedSums, sign: 1 | -1): ReleasedWeighted | null {
  const [x, y] = [isEmpty(a) ? null : a.weighted, isEmpty(b) ? null : b.weighted];
  if (isEmpty(b)) return a.weighted ?? null;
  if (isEmpty(a) && y) return sign === 1 ? y : scaled(y, -1);
  if (!x || !y) return null;
  return weightedPart(addWeightedSums(x, sign === 1 ? y : scaled(y, -1)), x.noiseSumWY + y.noiseSumWY, x.noiseSumW + y.noiseSumW);
}

const scaled = (w: ReleasedWeighted, k: number): ReleasedWeighted =>
  weightedPart(
    { n: k * w.n, sumW: k * w.sumW, sumW2: k * w.sumW2, sumWY: k * w.sumWY, sumWY2: k * w.sumWY2, sumW2Y: k * w.sumW2Y, sumW2Y2: k * w.sumW2Y2 },
    w.noiseSumWY,
    w.noiseSumW,
  );

/** Variance the noise adds to a mean of `n` responses over `noisyAtoms` atoms (delta method on sum / count). */
export function noiseVarianceOfMean(mean: number, n: number, noisyAtoms: number): number {
  if (noisyAtoms === 0 || n <= 0) return 0;
  return (noisyAtoms * (SUM_NOISE_SD ** 2 + mean * mean * COUNT_NOISE_SD ** 2)) / (n * n);
}
