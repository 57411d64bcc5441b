/** z(0.975) + z(0.80): a change of this many standard errors is detected with 80% power at 5% two-sided. */
export const DETECTION_FACTOR = 2.8;

/** The change liaisons ask about: how many more responses would detect one this large? */
export const TARGET_CHANGE = 10;

/** The minimum detectable change for an estimate with this standard error (80% power, 5% two-sided). */
export function minimumDetectableChange(se: number): number {
  return DETECTION_FACTOR * se;
}

/**
 * How many more responses a window with `n` responses and standard deviation `sd` needs before a change of `target`
 * points becomes detectable, when the rest of the estimate's variance is `otherVariance` and `noiseVariance(n)` is
 * what perturbation adds to the window's mean. Null when no number of responses would do (the rest is too noisy).
 */
export function responsesToDetect(
  target: number,
  window: { n: number; sd: number },
  otherVariance: number,
  noiseVariance: (n: number) => number = () => 0,
): number | null {
  const budget = (target / DETECTION_FACTOR) ** 2 - otherVariance;
  if (budget <= 0) return null;
  const variance = (n: number) => (n > 0 ? (window.sd * window.sd) / n + noiseVariance(n) : Infinity);
  if (variance(window.n) <= budget) return 0;
  let high = Math.max(1, window.n);
  while (variance(high) > budget) {
    high *= 2;
    if (high > 1e9) return null;
  }
  let low = Math.max(window.n, 1);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (variance(mid) <= budget) high = mid;
    else low = mid + 1;
  }
  return high - window.n;
}
