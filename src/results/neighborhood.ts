import type { Neighborhood, Question } from '../db/schema.js';
import { bucketEnd, bucketStart, shiftBucket } from '../stats/buckets.js';
import { cellFrom, clearsSampleFloor, type Cell, type ReleaseRules } from '../stats/cells.js';
import { minimumDetectableChange, responsesToDetect, TARGET_CHANGE } from '../stats/power.js';
import { addReleased, atomSalt, emptyReleased, releaseAtom, releaseCount, type ReleasedSums } from '../stats/perturbation.js';
import type { MeasureOption } from './filters.js';
import { localize } from '../i18n/index.js';
import type { DayRange, DistributionRow, IssueRow, MonthSums, NeighborhoodSums } from './sums.js';
import { termsOf, themesOf, topTerms, type Theme, type ThemeDefinition } from './themes.js';
import { changeBetween, computeTrends, monthSeries, trendMonths, type Change, type TrendRequest } from './trends.js';

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
  /** More responses in the latest period that would detect a 10-point change; null when none would or there are no figures. */
  responses_for_target: number | null;
}

/** The end of the month holding a range's last day: like the trends, no figure counts a later month (for protected figures, one still filling). */
const lastMonthEnd = (to: string) => bucketEnd(bucketStart(to, 'month'), 'month');

/** A range's whole buckets, up to the end of the month holding its last day: what distributions and themes count. */
export const shownRange = (request: Pick<TrendRequest, 'from' | 'to' | 'bucket'>) => ({
  from: bucketStart(request.from, request.bucket),
  to: lastMonthEnd(request.to),
});

/** The last bucket of a request's range (up to the month holding its last day) and the one before it. */
export function lastTwoBuckets({ to, bucket }: Pick<TrendRequest, 'to' | 'bucket'>) {
  const last = bucketStart(to, bucket);
  const previous = shiftBucket(last, bucket, -1);
  return { latest: { start: last, end: lastMonthEnd(to) }, previous: { start: previous, end: bucketEnd(previous, bucket) } };
}

/**
 * The latest window of the view against the window just before it, per area: single buckets, or for a rolling view
 * the last `rolling` buckets against the `rolling` before them (never overlapping windows, which are not independent
 * samples, as Welch's interval assumes). At real volumes single months rarely reach a figure; 6-month windows do.
 */
export function latestChanges(sums: MonthSums, rules: ReleaseRules, request: TrendRequest) {
  const r = request.rolling;
  const lastStart = bucketStart(request.to, request.bucket);
  const previousStart = shiftBucket(lastStart, request.bucket, -r);
  const trends = computeTrends(sums, rules, { ...request, from: previousStart, to: request.to });
  const windowOf = (start: string, end: string) => ({ start: shiftBucket(start, request.bucket, 1 - r), end });
  return {
    latest: windowOf(lastStart, lastMonthEnd(request.to)),
    previous: windowOf(previousStart, bucketEnd(previousStart, request.bucket)),
    rows: trends.series.map((s): LatestChange => {
      const [previous, latest] = [s.cells[0], s.cells[s.cells.length - 1]];
      const change = changeBetween(previous, latest);
      const responses_for_target =
        change && latest.n !== null && latest.sd !== null && previous.se !== null
          ? responsesToDetect(TARGET_CHANGE, { n: latest.n, sd: latest.sd }, previous.se ** 2)
          : null;
      return { area: s.area, name: s.name, previous, latest, change, minimum_detectable: change && minimumDetectableChange(change.se), responses_for_target };
    }),
  };
}

/** The months the latest changes read: the last window and the one before it. */
export function latestChangeMonths(request: Pick<TrendRequest, 'bucket' | 'rolling' | 'to'>): DayRange {
  const previousStart = shiftBucket(bucketStart(request.to, request.bucket), request.bucket, -request.rolling);
  return trendMonths({ ...request, from: previousStart });
}

/** The days the group changes count: the bucket before the last one, to the end of the range. */
export const groupRange = (request: Pick<TrendRequest, 'to' | 'bucket'>): DayRange => ({ from: lastTwoBuckets(request).previous.start, to: request.to });

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
function groupChanges(sums: NeighborhoodSums, rules: ReleaseRules, request: TrendRequest, neighborhood: Neighborhood, questions: readonly Question[]) {
  const { latest, previous } = lastTwoBuckets(request);
  const rows = sums.groups.filter((r) => r.measure === request.measure && r.neighborhoodId === neighborhood.id);
  const { variance } = monthSeries(sums.months, rules, { ...request, ...groupRange(request) });
  const changes: GroupChange[] = [];
  for (const q of questions.filter((q) => q.kind === 'choice')) {
    for (const o of q.options ?? []) {
      const salt = atomSalt('group', request.measure, q.code, o.value);
      const own = rows.filter((r) => r.question === q.code && r.value === o.value);
      const release = (r: (typeof own)[number]) => releaseAtom(r, salt, rules.perturb);
      const before = cellFrom(sumMonths(own, previous.start, previous.end, release), rules, variance);
      const after = cellFrom(sumMonths(own, latest.start, latest.end, release), rules, variance);
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
function distributions(rows: readonly DistributionRow[], rules: ReleaseRules, questions: readonly Question[]) {
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

export interface ThemeRow {
  label: string;
  /** Null under the privacy floor. */
  answers: number | null;
  hidden: boolean;
}

export interface Themes {
  answers: number | null;
  suppressed: boolean;
  words: Theme[];
  phrases: Theme[];
  /** Answers per admin-defined theme (and "other"), each theme's monthly count perturbed as its own atom. */
  counts: ThemeRow[];
}

type Atom = { n: number; keySum: number };
type AtomsByMonth = Map<string, Atom>;

/** Adds answers to a term's atom for a month. */
function addAtom(map: Map<string, AtomsByMonth>, term: string, month: string, n: number, keySum: number) {
  const byMonth = map.get(term) ?? new Map<string, Atom>();
  const atom = byMonth.get(month) ?? { n: 0, keySum: 0 };
  byMonth.set(month, { n: atom.n + n, keySum: atom.keySum + keySum });
  map.set(term, byMonth);
}

/**
 * Words, phrases and admin-defined themes residents name as the number one issue: each term's count per month is
 * perturbed as its own atom, and a term is shown only from the privacy floor.
 */
function themes(rows: readonly IssueRow[], rules: ReleaseRules, definitions: readonly ThemeDefinition[]): Themes {
  const atoms = { words: new Map<string, AtomsByMonth>(), phrases: new Map<string, AtomsByMonth>(), themes: new Map<string, AtomsByMonth>() };
  const forms = new Map<string, string>();
  const totals = new Map<string, AtomsByMonth>();
  for (const r of rows) {
    const terms = termsOf(r.text);
    for (const [key, surface] of terms.words) {
      addAtom(atoms.words, key, r.month, r.n, r.keySum);
      if (!forms.has(key)) forms.set(key, surface);
    }
    for (const [key, surface] of terms.phrases) {
      addAtom(atoms.phrases, key, r.month, r.n, r.keySum);
      if (!forms.has(key)) forms.set(key, surface);
    }
    const named = themesOf(r.text, definitions);
    for (const id of named) addAtom(atoms.themes, String(id), r.month, r.n, r.keySum);
    if (named.length === 0) addAtom(atoms.themes, 'other', r.month, r.n, r.keySum);
    addAtom(totals, '', r.month, r.n, r.keySum);
  }
  const released = (kind: string, term: string, byMonth: AtomsByMonth | undefined) =>
    [...(byMonth?.values() ?? [])].reduce((acc, a) => acc + releaseCount(a.n, a.keySum, atomSalt('theme', kind, term), rules.perturb), 0);
  const counts = (kind: 'words' | 'phrases') => new Map([...atoms[kind]].map(([key, byMonth]) => [forms.get(key) ?? key, released(kind, key, byMonth)]));
  const answers = released('answers', '', totals.get(''));
  if (answers < rules.minReliableSize) return { answers: answers >= rules.minGroupSize ? answers : null, suppressed: true, words: [], phrases: [], counts: [] };
  const row = (label: string, key: string): ThemeRow => {
    const n = released('defined', key, atoms.themes.get(key));
    const shown = n >= rules.minGroupSize;
    return { label, answers: shown ? n : null, hidden: !shown };
  };
  const themeRows = definitions.length === 0 ? [] : [...definitions.map((d) => row(localize(d.label, 'en'), String(d.id))), row('Other (no theme)', 'other')];
  return {
    answers,
    suppressed: false,
    words: topTerms(counts('words'), rules.minGroupSize),
    phrases: topTerms(counts('phrases'), rules.minGroupSize),
    counts: themeRows.sort((a, b) => (b.answers ?? -1) - (a.answers ?? -1)),
  };
}

/**
 * A sample's months of one neighborhood that its groups, answers and themes leave out: those where its responses as a
 * whole, or any measure's atom, fail the complementary rule (a group's or an answer's atom is part of them).
 */
function sampleLeftOut(sums: NeighborhoodSums, rules: ReleaseRules, neighborhoodId: number, to: string): Set<string> {
  const out = new Set<string>();
  const { sample } = sums.months;
  if (sample === 'all') return out;
  for (const c of sums.counts) {
    const part = sample === 'invitation' ? c.invitation : c.n - c.invitation;
    if (!clearsSampleFloor(part, c.n - part, rules)) out.add(c.month);
  }
  for (const r of sums.months.rows)
    if (r.neighborhoodId === neighborhoodId && r.complement !== undefined && !clearsSampleFloor(r.n, r.complement, rules)) out.add(r.month);
  // Sums may hold a month still filling (a quarter's); no figure counts it, and nothing says anything about it.
  for (const month of out) if (month > to) out.delete(month);
  return out;
}

export interface NeighborhoodDetail {
  /** Months a sample's groups, answers and themes leave out (the complementary rule). */
  leftOut: string[];
  dimensions: (LatestChange & { measure: string; label: string })[];
  groupsMoved: GroupChange[];
  distributions: Distribution[];
  themes: Themes;
  latest: { start: string; end: string };
  previous: { start: string; end: string };
}

/** What a liaison needs to act on one neighborhood's change: dimensions and groups that moved, answers, themes. */
export function neighborhoodDetail(
  sums: NeighborhoodSums,
  rules: ReleaseRules,
  request: TrendRequest,
  neighborhood: Neighborhood,
  questions: readonly Question[],
  measures: readonly MeasureOption[],
  themeDefinitions: readonly ThemeDefinition[] = [],
): NeighborhoodDetail {
  const leftOut = sampleLeftOut(sums, rules, neighborhood.id, request.to);
  if (leftOut.size > 0) {
    const kept = <R extends { month: string }>(rows: readonly R[]) => rows.filter((r) => !leftOut.has(r.month));
    sums = { ...sums, groups: kept(sums.groups), distributions: kept(sums.distributions), issues: kept(sums.issues) };
  }
  const only = { ...request, selected: new Set([neighborhood.slug]) };
  const dimensions = measures.map((m) => ({ ...latestChanges(sums.months, rules, { ...only, measure: m.value }).rows[1], measure: m.value, label: m.label }));
  const byChange = (a: { change: Change | null }, b: { change: Change | null }) => Math.abs(b.change?.estimate ?? 0) - Math.abs(a.change?.estimate ?? 0);
  const groupsMoved = groupChanges(sums, rules, request, neighborhood, questions)
    .filter((g) => g.change !== null)
    .sort(byChange)
    .slice(0, 6);
  return {
    leftOut: [...leftOut].sort(),
    dimensions: [...dimensions].sort(byChange),
    groupsMoved,
    distributions: distributions(sums.distributions, rules, questions),
    themes: themes(sums.issues, rules, themeDefinitions),
    ...lastTwoBuckets(request),
  };
}
