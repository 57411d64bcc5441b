/**
 * Response rates of a mailed sample by the American Association for Public Opinion Research's Standard Definitions:
 * N invitations, NE of them known not eligible (returned undeliverable, vacant), I completes and P partials.
 */
export interface Dispositions {
  invitations: number;
  notEligible: number;
  complete: number;
  partial: number;
}

/** Share of a survey's scale items a response must answer to count as complete (AAPOR leaves the cut to the study). */
export const COMPLETE_SHARE = 0.8;

/** Whether a response that answered `answered` of `scaleItems` scale items is a complete (else a partial). */
export const isComplete = (answered: number, scaleItems: number) => scaleItems === 0 || answered >= COMPLETE_SHARE * scaleItems - 1e-9;

/** Completes and partials from how many responses answered each number of scale items. */
export function completesAndPartials(histogram: readonly { answered: number; responses: number }[], scaleItems: number) {
  let complete = 0;
  let partial = 0;
  for (const { answered, responses } of histogram) {
    if (isComplete(answered, scaleItems)) complete += responses;
    else partial += responses;
  }
  return { complete, partial };
}

/**
 * e, the share of cases of unknown eligibility assumed eligible, estimated from the resolved cases (AAPOR's
 * proportional allocation): those who answered are eligible, those returned undeliverable or vacant are not.
 * Null when no case is resolved yet.
 */
export function estimatedEligibility({ notEligible, complete, partial }: Dispositions): number | null {
  const resolved = complete + partial + notEligible;
  return resolved === 0 ? null : (complete + partial) / resolved;
}

export interface ResponseRates {
  /** Invitations not known to be ineligible: N − NE. */
  eligibleOrUnknown: number;
  /** Invitations with neither an answer nor a return: N − NE − I − P. */
  unknown: number;
  /** RR1 = I / (N − NE); null when N − NE is 0. */
  rr1: number | null;
  /** RR3 = I / (I + P + e·(N − NE − I − P)); null when the denominator is 0. */
  rr3: number | null;
  /** The e used for RR3. */
  e: number;
}

/** RR1 and RR3 (with the given e, else e estimated from the resolved cases, else 1, which makes RR3 equal RR1). */
export function responseRates(d: Dispositions, assumedEligibility?: number): ResponseRates {
  const eligibleOrUnknown = d.invitations - d.notEligible;
  const unknown = eligibleOrUnknown - d.complete - d.partial;
  if (unknown < 0) throw new RangeError('More answers and returns than invitations.');
  const e = assumedEligibility ?? estimatedEligibility(d) ?? 1;
  const rr3Denominator = d.complete + d.partial + e * unknown;
  return {
    eligibleOrUnknown,
    unknown,
    rr1: eligibleOrUnknown === 0 ? null : d.complete / eligibleOrUnknown,
    rr3: rr3Denominator === 0 ? null : d.complete / rr3Denominator,
    e,
  };
}
