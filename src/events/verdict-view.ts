import type { Impact } from './impact.js';

const points = (v: number) => `${Math.round(v * 10) / 10} points`;

/** The verdict in plain words for the top of the event page, with what it would take to know. */
export function verdictView(impact: Impact) {
  const v = impact.verdict;
  const headline = {
    'clear-rise': 'Clear rise',
    'clear-fall': 'Clear fall',
    'no-clear-change': 'No clear change',
    'too-few':
      v.minimum_detectable === null
        ? 'Too few responses to tell'
        : `Too few responses to tell a change smaller than ${points(v.minimum_detectable)} from noise`,
  }[v.kind];
  const estimate = v.estimate && `${v.estimate.estimate >= 0 ? '+' : ''}${points(v.estimate.estimate)}`;
  const placebo = v.placebo.enough
    ? `The change is larger than ${Math.round((v.placebo.exceeded ?? 0) * 100)}% of the same changes at ${v.placebo.windows} comparison windows with no event (a clear change must beat 95%).`
    : `Only ${v.placebo.windows} comparison windows with no event exist (20 are needed to judge how unusual a change is), so the verdict rests on the interval alone.`;
  const more =
    v.responses_for_target === null
      ? `No number of further responses after the event would detect a ${v.target}-point change: the before-window (or the comparison) has too few.`
      : v.responses_for_target === 0
        ? `The after-window already has enough responses to detect a ${v.target}-point change.`
        : `About ${v.responses_for_target} more responses after the event would detect a ${v.target}-point change.`;
  return {
    kind: v.kind,
    headline,
    estimate,
    minimumDetectable: v.minimum_detectable === null ? null : points(v.minimum_detectable),
    placebo,
    more,
    partial:
      impact.after_months_available < impact.months ? `${impact.after_months_available} of ${impact.months} months after the event are complete so far.` : null,
  };
}
