import type { Neighborhood, Question } from '../db/schema.js';
import { bucketEnd, bucketStart, shiftBucket, snapRange } from '../stats/buckets.js';
import { cellFrom, type Cell, type ReleaseRules } from '../stats/cells.js';
import { minimumDetectableChange } from '../stats/power.js';
import { addReleased, atomSalt, emptyReleased, releaseAtom, releaseCount, type ReleasedSums } from '../stats/perturbation.js';
import type { MeasureOption } from './filters.js';
import type { ResultsQueries } from './queries.js';
import { termsOf, topTerms, type Theme } from './themes.js';
import { changeBetween, computeTrends, type Change, type TrendRequest } from './trends.js';

export const TOP_ISSUE_CODE = 'top_issue';
const agreeLabels = ['Strongly disagree', 'Disagree', 'Neither', 'Agree', 'Strongly agree'];

export interface LatestChange {
  area: string;
  name: string;
  latest: Cell;
  previous: Cell;
  change: Change | null;
  /** The smallest change the comparison could tell from noise (80% power, 5% two-sided); null when it has no figures. */
  minimum_detectable: number | null;
}

/** The last bucket of a request's range and the one before it. */
export function lastTwoBuckets({ to, bucket }: Pick<TrendRequest, 'to' | 'bucket'>) {
  const last = bucketStart(to, bucket);
  const previous = shiftBucket(last, bucket, -1);
  return { latest: { start: last, end: bucketEnd(last, bucket) }, previous: { start: previous, end: bucketEnd(previous, bucket) } };
}

/**
 * The last bucket of the range against the one before it, per area, without rolling windows (overlapping
 * windows are not independent samples, which Welch's interval assumes).
 */
export function latestChanges(queries: ResultsQueries, rules: ReleaseRules, request: TrendRequest) {
  const buckets = lastTwoBuckets(request);
  const trends = computeTrends(queries, rules, { ...request, rolling: 1, from: buckets.previous.start, to: request.to });
  return {
    ...buckets,
    rows: trends.series.map((s): LatestChange => {
      const change = changeBetween(s.cells[0], s.cells[1]);
      return { area: s.area, name: s.name, previous: s.cells[0], latest: s.cells[1], change, minimum_detectable: change && minimumDetectableChange(change.se) };
    }),
  };
}

export interface GroupChange {
  question: string;
  group: string;
  previous: Cell;
  latest: Cell;
  change: Change | null;
}

/** Released sums of rows keyed by month, over the months in [from, to]. */
function sumMonths<R extends { month: string }>(rows: readonly R[], from: string, to: string, release: (row: R) => ReleasedSums): ReleasedSums {
  return rows.filter((r) => r.month >= from && r.month <= to).reduce((acc, r) => addReleased(acc, release(r)), emptyReleased);
}

/** The chosen measure per demographic group in the last two buckets, each group-month atom perturbed on its own. */
function groupChanges(queries: ResultsQueries, rules: ReleaseRules, request: TrendRequest, neighborhood: Neighborhood, questions: readonly Question[]) {
  const { latest, previous } = lastTwoBuckets(request);
  const rows = queries.groupRows({ survey: request.survey.id, neighborhood: neighborhood.id, measure: request.measure, from: previous.start, to: latest.end });
  const changes: GroupChange[] = [];
  for (const q of questions.filter((q) => q.kind === 'choice')) {
    for (const o of q.options ?? []) {
      const salt = atomSalt('group', request.measure, q.code, o.value);
      const own = rows.filter((r) => r.question === q.code && r.value === o.value);
      const release = (r: (typeof own)[number]) => releaseAtom(r, salt, rules.perturb);
      const before = cellFrom(sumMonths(own, previous.start, previous.end, release), rules);
      const after = cellFrom(sumMonths(own, latest.start, latest.end, release), rules);
      changes.push({ question: q.prompt.en ?? q.code, group: o.label.en ?? o.value, previous: before, latest: after, change: changeBetween(before, after) });
    }
  }
  return changes;
}

export interface Distribution {
  code: string;
  prompt: string;
  scale: '0-10' | 'agree5';
  /** Answers counted; null under the privacy floor. */
  n: number | null;
  /** True when the shares are not shown (fewer answers than the reliability threshold). */
  suppressed: boolean;
  /** A point's count and share are null when fewer answers than the privacy floor chose it. */
  points: { value: number; label: string; count: number | null; percent: number | null }[];
}

/** Answer shares per scale question over the range, each point's count per month perturbed as its own atom. */
function distributions(queries: ResultsQueries, rules: ReleaseRules, request: TrendRequest, neighborhood: Neighborhood, questions: readonly Question[]) {
  const rows = queries.distributionRows({ survey: request.survey.id, neighborhood: neighborhood.id, ...snapRange(request.from, request.to, request.bucket) });
  return questions
    .filter((q) => q.kind === 'scale' && q.scale !== null)
    .map((q): Distribution => {
      const scale = q.scale!;
      const values = scale === '0-10' ? Array.from({ length: 11 }, (_, i) => i) : [1, 2, 3, 4, 5];
      const counts = values.map((value) =>
        rows
          .filter((r) => r.questionId === q.id && r.value === value)
          .reduce((acc, r) => acc + releaseCount(r.n, r.keySum, atomSalt('answer', q.id, value), rules.perturb), 0),
      );
      const n = counts.reduce((a, b) => a + b, 0);
      const shown = n >= rules.minReliableSize;
      return {
        code: q.code,
        prompt: q.prompt.en ?? q.code,
        scale,
        n: n >= rules.minGroupSize ? n : null,
        suppressed: !shown,
        points: shown
          ? values.map((value, i) => {
              const visible = counts[i] >= rules.minGroupSize;
              return {
                value,
                label: scale === '0-10' ? String(value) : agreeLabels[value - 1],
                count: visible ? counts[i] : null,
                percent: visible ? (100 * counts[i]) / n : null,
              };
            })
          : [],
      };
    });
}

export interface Themes {
  answers: number | null;
  suppressed: boolean;
  words: Theme[];
  phrases: Theme[];
}

/** Words and phrases residents name as the number one issue, each term's monthly count perturbed as its own atom. */
function themes(queries: ResultsQueries, rules: ReleaseRules, request: TrendRequest, neighborhood: Neighborhood): Themes {
  const rows = queries.issueRows({
    survey: request.survey.id,
    neighborhood: neighborhood.id,
    ...snapRange(request.from, request.to, request.bucket),
    code: TOP_ISSUE_CODE,
  });
  // Per term and month: answers using it and the sum of their keys, so the noise is fixed by who used it.
  const atoms = {
    words: new Map<string, Map<string, { n: number; keySum: number }>>(),
    phrases: new Map<string, Map<string, { n: number; keySum: number }>>(),
  };
  const add = (map: Map<string, Map<string, { n: number; keySum: number }>>, term: string, month: string, n: number, keySum: number) => {
    const byMonth = map.get(term) ?? new Map<string, { n: number; keySum: number }>();
    const atom = byMonth.get(month) ?? { n: 0, keySum: 0 };
    byMonth.set(month, { n: atom.n + n, keySum: atom.keySum + keySum });
    map.set(term, byMonth);
  };
  const totals = new Map<string, { n: number; keySum: number }>();
  for (const r of rows) {
    const terms = termsOf(r.text);
    for (const w of terms.words) add(atoms.words, w, r.month, r.n, r.keySum);
    for (const p of terms.phrases) add(atoms.phrases, p, r.month, r.n, r.keySum);
    const total = totals.get(r.month) ?? { n: 0, keySum: 0 };
    totals.set(r.month, { n: total.n + r.n, keySum: total.keySum + r.keySum });
  }
  const released = (kind: string, term: string, byMonth: Map<string, { n: number; keySum: number }>) =>
    [...byMonth.values()].reduce((acc, a) => acc + releaseCount(a.n, a.keySum, atomSalt('theme', kind, term), rules.perturb), 0);
  const counts = (kind: 'words' | 'phrases') => new Map([...atoms[kind]].map(([term, byMonth]) => [term, released(kind, term, byMonth)]));
  const answers = released('answers', '', totals);
  if (answers < rules.minReliableSize) return { answers: answers >= rules.minGroupSize ? answers : null, suppressed: true, words: [], phrases: [] };
  return { answers, suppressed: false, words: topTerms(counts('words'), rules.minGroupSize), phrases: topTerms(counts('phrases'), rules.minGroupSize) };
}

export interface NeighborhoodDetail {
  dimensions: (LatestChange & { measure: string; label: string })[];
  groupsMoved: GroupChange[];
  distributions: Distribution[];
  themes: Themes;
  latest: { start: string; end: string };
  previous: { start: string; end: string };
}

/** What a liaison needs to act on one neighborhood's change: dimensions and groups that moved, answers, themes. */
export function neighborhoodDetail(
  queries: ResultsQueries,
  rules: ReleaseRules,
  request: TrendRequest,
  neighborhood: Neighborhood,
  questions: readonly Question[],
  measures: readonly MeasureOption[],
): NeighborhoodDetail {
  const only = { ...request, selected: new Set([neighborhood.slug]) };
  const dimensions = measures.map((m) => ({ ...latestChanges(queries, rules, { ...only, measure: m.value }).rows[1], measure: m.value, label: m.label }));
  const byChange = (a: { change: Change | null }, b: { change: Change | null }) => Math.abs(b.change?.estimate ?? 0) - Math.abs(a.change?.estimate ?? 0);
  const groupsMoved = groupChanges(queries, rules, request, neighborhood, questions)
    .filter((g) => g.change !== null)
    .sort(byChange)
    .slice(0, 6);
  return {
    dimensions: [...dimensions].sort(byChange),
    groupsMoved,
    distributions: distributions(queries, rules, request, neighborhood, questions),
    themes: themes(queries, rules, request, neighborhood),
    ...lastTwoBuckets(request),
  };
}
