import type { Question } from '../db/schema.js';

export const TRUST_MEASURE = 'trust';

type ScoredQuestion = Pick<Question, 'id' | 'kind' | 'scale' | 'dimension' | 'reverseScored' | 'inTrustScore'>;

/** Maps a scale point to 0–100: 0–10 times ten; 5-point 1..5 to 0, 25, 50, 75, 100; reverse-scored items flipped. */
export function scalePointTo100(value: number, scale: '0-10' | 'agree5', reverseScored: boolean): number {
  const score = scale === '0-10' ? value * 10 : (value - 1) * 25;
  return reverseScored ? 100 - score : score;
}

/**
 * A multi-item scale is scored only when more than half of its items are answered (the published rule);
 * the score is then the mean of the answered items.
 */
export function scaleScore(itemScores: readonly (number | null)[]): number | null {
  const answered = itemScores.filter((s): s is number => s !== null);
  if (answered.length === 0 || answered.length * 2 <= itemScores.length) return null;
  return answered.reduce((a, b) => a + b, 0) / answered.length;
}

/** The measures (every dimension, and the trust score) a survey's questions define, each with its items. */
export function measuresOf(questions: readonly ScoredQuestion[]): Map<string, ScoredQuestion[]> {
  const measures = new Map<string, ScoredQuestion[]>();
  for (const q of questions) {
    if (q.kind !== 'scale' || q.scale === null) continue;
    if (q.dimension) measures.set(q.dimension, [...(measures.get(q.dimension) ?? []), q]);
    if (q.inTrustScore) measures.set(TRUST_MEASURE, [...(measures.get(TRUST_MEASURE) ?? []), q]);
  }
  return measures;
}

/** A respondent's 0–100 score on each measure they answered enough of; "don't know" counts as unanswered. */
export function respondentScores(measures: Map<string, ScoredQuestion[]>, scalePoints: ReadonlyMap<number, number>): Map<string, number> {
  const scores = new Map<string, number>();
  for (const [measure, items] of measures) {
    const itemScores = items.map((q) => {
      const point = scalePoints.get(q.id);
      return point === undefined ? null : scalePointTo100(point, q.scale!, q.reverseScored);
    });
    const score = scaleScore(itemScores);
    if (score !== null) scores.set(measure, score);
  }
  return scores;
}
