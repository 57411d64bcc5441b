import type { Neighborhood, PopulationMargin, Question, WeightingRun } from '../db/schema.js';
import type { ReleaseRules } from '../stats/cells.js';
import { atomSalt, releaseAtom } from '../stats/perturbation.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { GroupRow } from './sums.js';

export interface ShareRow {
  label: string;
  /** Share of the census counts (%), null when the census has no count for it. */
  census: number | null;
  /** Share of the responses that gave a counted answer (%), null under the privacy floor. */
  sample: number | null;
  /** Responses (protected like every count), null under the privacy floor. */
  responses: number | null;
  /** After weighting: the census share when raking used this question and kept the option apart; null otherwise. */
  weighted: number | null;
}

export interface QuestionShares {
  question: string;
  prompt: string;
  status: string;
  merged: string[];
  rows: ShareRow[];
}

export interface NeighborhoodShares {
  slug: string;
  name: string;
  /** Respondents the latest weighting raked together (a year of answers). */
  respondents: number;
  questions: QuestionShares[];
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : null);

/**
 * How each neighborhood's sample compares with its census, per demographic question with margins: the census share, the
 * sample's share over the months asked (from the same protected group counts the neighborhood page releases) and the
 * share after weighting, which raking makes the census share for every question it used.
 */
export function sampleVersusCensus(input: {
  neighborhoods: readonly Neighborhood[];
  questions: readonly Question[];
  margins: readonly PopulationMargin[];
  groups: readonly GroupRow[];
  /** Each neighborhood's latest weighting report. */
  reports: ReadonlyMap<number, WeightingRun>;
  rules: ReleaseRules;
}): NeighborhoodShares[] {
  return input.neighborhoods.flatMap((n) => {
    const own = input.margins.filter((m) => m.neighborhoodId === n.id);
    if (own.length === 0) return [];
    const report = input.reports.get(n.id)?.report;
    const questions = input.questions.filter((q) => q.kind === 'choice' && own.some((m) => m.questionCode === q.code));
    return [
      {
        slug: n.slug,
        name: n.name,
        respondents: report?.respondents ?? 0,
        questions: questions.map((q) => {
          const counted = new Map(own.filter((m) => m.questionCode === q.code && m.count !== null).map((m) => [m.optionValue, m.count!]));
          const censusTotal = [...counted.values()].reduce((a, b) => a + b, 0);
          const raking = report?.margins.find((m) => m.question === q.code);
          const used = raking?.status === 'used';
          // Raking meets a merged group's census share as a whole, not each of its options'.
          const merged = new Set((raking?.merged ?? []).flat());
          const responses = new Map<string, number>();
          for (const r of input.groups) {
            if (r.neighborhoodId !== n.id || r.question !== q.code || r.measure !== TRUST_MEASURE || !counted.has(r.value)) continue;
            const released = releaseAtom(r, atomSalt('group', TRUST_MEASURE, r.question, r.value), input.rules.perturb).n;
            responses.set(r.value, (responses.get(r.value) ?? 0) + released);
          }
          const sampleTotal = [...responses.values()].reduce((a, b) => a + Math.max(0, b), 0);
          const shown = sampleTotal >= input.rules.minGroupSize;
          return {
            question: q.code,
            prompt: q.prompt.en ?? q.code,
            status: raking ? raking.status : 'not weighted yet',
            merged: (raking?.merged ?? []).map((group) => group.map((v) => q.options?.find((o) => o.value === v)?.label.en ?? v).join(' + ')),
            rows: (q.options ?? [])
              .filter((o) => counted.has(o.value))
              .map((o) => {
                const count = responses.get(o.value) ?? 0;
                const visible = shown && count >= input.rules.minGroupSize;
                return {
                  label: o.label.en ?? o.value,
                  census: percent(counted.get(o.value)!, censusTotal),
                  sample: visible ? percent(count, sampleTotal) : null,
                  responses: visible ? count : null,
                  weighted: used && !merged.has(o.value) ? percent(counted.get(o.value)!, censusTotal) : null,
                };
              }),
          };
        }),
      },
    ];
  });
}
