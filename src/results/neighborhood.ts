import type { Neighborhood, Question } from '../db/schema.js';
import { bucketEnd, bucketStart, bucketsBetween, shiftBucket, snapRange } from '../stats/buckets.js';
import type { Cell, CellRules } from '../stats/cells.js';
import { addSums, emptySums } from '../stats/summary.js';
import { localize } from '../i18n/index.js';
import type { MeasureOption } from './filters.js';
import type { ResultsQueries } from './queries.js';
import { countThemes, MIN_THEME_ANSWERS, topThemes, type Theme, type ThemeDefinition } from './themes.js';
import { baseKind, baseSeries, changeBetween, computeTrends, pooledCell, type Change, type TrendRequest } from './trends.js';

export const TOP_ISSUE_CODE = 'top_issue';
const agreeLabels = ['Strongly disagree', 'Disagree', 'Neither', 'Agree', 'Strongly agree'];

export interface LatestChange {
  area: string;
  name: string;
  latest: Cell;
  previous: Cell;
  change: Change | null;
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
export function latestChanges(queries: ResultsQueries, rules: CellRules, request: TrendRequest) {
  const buckets = lastTwoBuckets(request);
  const trends = computeTrends(queries, rules, { ...request, rolling: 1, from: buckets.previous.start, to: request.to });
  return {
    ...buckets,
    rows: trends.series.map((s): LatestChange => ({
      area: s.area,
      name: s.name,
      previous: s.cells[0],
      latest: s.cells[1],
      change: changeBetween(s.cells[0], s.cells[1]),
    })),
  };
}

export interface GroupChange {
  question: string;
  group: string;
  previous: Cell;
  latest: Cell;
  change: Change | null;
}

/** Indexes of the base buckets that fall inside [from, to]. */
const within = (starts: readonly string[], from: string, to: string) => starts.flatMap((s, i) => (s >= from && s <= to ? [i] : []));

/**
 * The chosen measure per demographic group in the last two buckets: each question's groups get complementary
 * suppression per base bucket, and a group's figure is hidden when any base bucket in it is.
 */
function groupChanges(queries: ResultsQueries, rules: CellRules, request: TrendRequest, neighborhood: Neighborhood, questions: readonly Question[]) {
  const { latest, previous } = lastTwoBuckets(request);
  const kind = baseKind(request.bucket);
  const starts = bucketsBetween(previous.start, latest.end, kind);
  const position = new Map(starts.map((s, i) => [s, i]));
  const rows = queries.groupRows(kind, {
    survey: request.survey.id,
    neighborhood: neighborhood.id,
    measure: request.measure,
    from: previous.start,
    to: latest.end,
  });
  const changes: GroupChange[] = [];
  for (const q of questions.filter((q) => q.kind === 'choice')) {
    const options = q.options ?? [];
    const raw = options.map(() => starts.map(() => emptySums));
    for (const r of rows) {
      const o = options.findIndex((option) => option.value === r.value);
      const b = position.get(r.bucket);
      if (r.question === q.code && o !== -1 && b !== undefined) raw[o][b] = addSums(raw[o][b], r);
    }
    const { parts } = baseSeries(raw, starts.length, rules);
    options.forEach((o, i) => {
      const before = pooledCell(parts[i], within(starts, previous.start, previous.end), rules);
      const after = pooledCell(parts[i], within(starts, latest.start, latest.end), rules);
      changes.push({ question: q.prompt.en ?? q.code, group: o.label.en ?? o.value, previous: before, latest: after, change: changeBetween(before, after) });
    });
  }
  return changes;
}

export interface Distribution {
  code: string;
  prompt: string;
  scale: '0-10' | 'agree5';
  /** Null when suppressed. */
  n: number | null;
  suppressed: boolean;
  points: { value: number; label: string; count: number; percent: number }[];
}

/** A range's total is shown only when no base bucket in it has a few answers (0 < n < MIN_CELL_SIZE). */
function passesEveryBucket(perBucket: Map<string, number>, rules: CellRules): boolean {
  const counts = [...perBucket.values()];
  return counts.reduce((a, b) => a + b, 0) >= rules.minCellSize && counts.every((n) => n === 0 || n >= rules.minCellSize);
}

function distributions(
  queries: ResultsQueries,
  rules: CellRules,
  request: TrendRequest,
  neighborhood: Neighborhood,
  questions: readonly Question[],
): Distribution[] {
  const rows = queries.distributionRows(baseKind(request.bucket), {
    survey: request.survey.id,
    neighborhood: neighborhood.id,
    ...snapRange(request.from, request.to, request.bucket),
  });
  return questions
    .filter((q) => q.kind === 'scale' && q.scale !== null)
    .map((q) => {
      const scale = q.scale!;
      const counts = rows.filter((r) => r.questionId === q.id);
      const perBucket = new Map<string, number>();
      for (const r of counts) perBucket.set(r.bucket, (perBucket.get(r.bucket) ?? 0) + r.n);
      const n = counts.reduce((acc, r) => acc + r.n, 0);
      const suppressed = !passesEveryBucket(perBucket, rules);
      const values = scale === '0-10' ? Array.from({ length: 11 }, (_, i) => i) : [1, 2, 3, 4, 5];
      return {
        code: q.code,
        prompt: q.prompt.en ?? q.code,
        scale,
        n: suppressed ? null : n,
        suppressed,
        points: suppressed
          ? []
          : values.map((value) => {
              const count = counts.filter((r) => r.value === value).reduce((acc, r) => acc + r.n, 0);
              const label = scale === '0-10' ? String(value) : agreeLabels[value - 1];
              return { value, label, count, percent: (100 * count) / n };
            }),
      };
    });
}

export interface NeighborhoodDetail {
  dimensions: (LatestChange & { measure: string; label: string })[];
  groupsMoved: GroupChange[];
  distributions: Distribution[];
  themes: { answers: number | null; suppressed: boolean; words: Theme[]; phrases: Theme[]; counts: ThemeRow[] };
  latest: { start: string; end: string };
  previous: { start: string; end: string };
}

export interface ThemeRow {
  label: string;
  /** Null when a few answers (under MIN_THEME_ANSWERS) could point at a resident, or could be worked out from the rest. */
  answers: number | null;
  hidden: boolean;
}

/** Answers per admin-defined theme and "other": small counts hidden, and one more when only one is (the rest would give it away). */
function themeRows(texts: { text: string; n: number }[], definitions: readonly ThemeDefinition[]): ThemeRow[] {
  if (definitions.length === 0) return [];
  const counted = countThemes(texts, definitions);
  const rows = [...counted.themes.map((t) => ({ label: localize(t.label, 'en'), answers: t.answers })), { label: 'Other (no theme)', answers: counted.other }];
  const hidden = (n: number) => n > 0 && n < MIN_THEME_ANSWERS;
  const smallest = rows.filter((r) => r.answers >= MIN_THEME_ANSWERS).sort((a, b) => a.answers - b.answers)[0];
  const alsoHidden = rows.filter((r) => hidden(r.answers)).length === 1 ? smallest : undefined;
  return rows.map((r) => {
    const hide = hidden(r.answers) || r === alsoHidden;
    return { label: r.label, answers: hide ? null : r.answers, hidden: hide };
  });
}

/** What a liaison needs to act on one neighborhood's change: dimensions and groups that moved, answers, themes. */
export function neighborhoodDetail(
  queries: ResultsQueries,
  rules: CellRules,
  request: TrendRequest,
  neighborhood: Neighborhood,
  questions: readonly Question[],
  measures: readonly MeasureOption[],
  themeDefinitions: readonly ThemeDefinition[] = [],
): NeighborhoodDetail {
  const only = { ...request, selected: new Set([neighborhood.slug]) };
  const dimensions = measures.map((m) => ({ ...latestChanges(queries, rules, { ...only, measure: m.value }).rows[1], measure: m.value, label: m.label }));
  const byChange = (a: { change: Change | null }, b: { change: Change | null }) => Math.abs(b.change?.estimate ?? 0) - Math.abs(a.change?.estimate ?? 0);
  const groupsMoved = groupChanges(queries, rules, request, neighborhood, questions)
    .filter((g) => g.change !== null)
    .sort(byChange)
    .slice(0, 6);

  const issueRows = queries.issueRows(baseKind(request.bucket), {
    survey: request.survey.id,
    neighborhood: neighborhood.id,
    ...snapRange(request.from, request.to, request.bucket),
    code: TOP_ISSUE_CODE,
  });
  const perBucket = new Map<string, number>();
  const byText = new Map<string, number>();
  for (const r of issueRows) {
    perBucket.set(r.bucket, (perBucket.get(r.bucket) ?? 0) + r.n);
    byText.set(r.text, (byText.get(r.text) ?? 0) + r.n);
  }
  const answers = issueRows.reduce((acc, r) => acc + r.n, 0);
  const themesShown = passesEveryBucket(perBucket, rules);
  const texts = [...byText].map(([text, n]) => ({ text, n }));
  return {
    dimensions: [...dimensions].sort(byChange),
    groupsMoved,
    distributions: distributions(queries, rules, request, neighborhood, questions),
    themes: {
      answers: themesShown ? answers : null,
      suppressed: !themesShown,
      ...(themesShown ? { ...topThemes(texts), counts: themeRows(texts, themeDefinitions) } : { words: [], phrases: [], counts: [] }),
    },
    ...lastTwoBuckets(request),
  };
}
