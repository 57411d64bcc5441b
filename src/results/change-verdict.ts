import { TARGET_CHANGE } from '../stats/power.js';
import type { Change } from './trends.js';

export type ChangeVerdictKind = 'clear-rise' | 'clear-fall' | 'no-clear-change' | 'too-few';

export interface ChangeVerdict {
  kind: ChangeVerdictKind;
  /** The verdict in plain words, as liaisons read it on the results summary and the meeting brief. */
  label: string;
}

const points = (v: number) => String(Math.round(v * 10) / 10);

/**
 * The verdict on a change between two periods from its interval alone: a clear rise or fall when the 95% interval
 * excludes 0; no clear change when it includes 0 though a 10-point change would have been detected; otherwise too
 * few responses to tell a change smaller than the minimum detectable one. (Event pages also check placebo windows.)
 */
export function changeVerdict(change: Change | null, minimumDetectable: number | null): ChangeVerdict {
  if (change && (change.ci_low > 0 || change.ci_high < 0)) {
    return change.estimate > 0 ? { kind: 'clear-rise', label: 'clear rise' } : { kind: 'clear-fall', label: 'clear fall' };
  }
  if (change && minimumDetectable !== null && minimumDetectable <= TARGET_CHANGE) return { kind: 'no-clear-change', label: 'no clear change' };
  return {
    kind: 'too-few',
    label: minimumDetectable === null ? 'too few responses to tell' : `too few responses to tell a change smaller than ${points(minimumDetectable)} points`,
  };
}
