import { z } from 'zod';
import { isIsoDate } from '../dates.js';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import { bucketKinds, bucketsBetween, bucketStart, shiftBucket } from '../stats/buckets.js';
import { measuresOf, TRUST_MEASURE } from '../stats/scoring.js';
import type { TrendRequest } from './trends.js';

/** Longest series a view may ask for (twenty years of months). */
export const MAX_BUCKETS = 240;
export const MAX_ROLLING = 12;

// Untouched fields of a GET form arrive as empty strings: they mean "use the default".
const blank = (v: unknown) => (v === '' ? undefined : v);
const date = z.preprocess(blank, z.string().refine(isIsoDate, 'must be a date written YYYY-MM-DD').optional());

/** Weighted to the census or not; by default weighted wherever the survey has margins. */
export const weightingField = z.preprocess(blank, z.enum(['weighted', 'unweighted'], 'must be weighted or unweighted').optional());

/** Whether figures are weighted: as asked, else wherever the survey has census margins to weight to. */
export const isWeighted = (asked: 'weighted' | 'unweighted' | undefined, hasMargins: boolean) => (asked === undefined ? hasMargins : asked === 'weighted');

/** Which responses figures count: every one, opt-in ones (web, QR, kiosk, paper) or those that came through a mailed invitation. */
export const sampleKinds = ['all', 'opt-in', 'invitation'] as const;
export type SampleKind = (typeof sampleKinds)[number];

/** How staff pages name each sample. */
export const sampleLabels: Record<SampleKind, string> = {
  all: 'All responses',
  'opt-in': 'Opt-in responses (web, QR, kiosk, paper)',
  invitation: 'Mailed invitations (random sample)',
};

/** The choices of a sample select, the current one selected. */
export const sampleOptions = (sample: SampleKind) => sampleKinds.map((value) => ({ value, label: sampleLabels[value], selected: value === sample }));

/** The sample figures come from; all responses by default. */
export const sampleField = z.preprocess(blank, z.enum(sampleKinds, 'must be all, opt-in or invitation').default('all'));

/**
 * Weighting rakes all of a neighborhood's responses together: a sample's figures are unweighted (the invitation sample
 * is a probability sample of its own; weights per sample are future work).
 */
export const sampleWeighted = (sample: SampleKind, weighted: boolean) => sample === 'all' && weighted;

/** A request's query again, to carry the same filters to another page. */
export const queryParams = (query: unknown) =>
  new URLSearchParams(
    Object.entries((query ?? {}) as Record<string, unknown>).flatMap(([key, value]) =>
      [value].flat().flatMap((v) => (typeof v === 'string' ? [[key, v] as [string, string]] : [])),
    ),
  );

/** What a page says about weighting (views/partials/weighting-note.hbs), with a link to itself the other way. */
export function weightingNote(url: string, query: unknown, weighted: boolean, available: boolean) {
  const params = queryParams(query);
  params.set('weighting', weighted ? 'unweighted' : 'weighted');
  return { available, weighted, switchHref: `${url.split('?')[0]}?${params}` };
}

/** A neighborhood × month left out of a sample's figures (views/partials/sample-note.hbs lists them). */
export interface LeftOut {
  area: string;
  month: string;
}

/**
 * What a page says about the sample its figures come from (views/partials/sample-note.hbs), with links to the others
 * and the neighborhood-months the complementary rule left out.
 */
export function sampleNote(url: string, query: unknown, sample: SampleKind, leftOut: readonly LeftOut[] = [], names?: ReadonlyMap<string, string>) {
  const link = (kind: SampleKind) => {
    const params = queryParams(query);
    if (kind === 'all') params.delete('sample');
    else params.set('sample', kind);
    params.delete('weighting');
    return `${url.split('?')[0]}${params.size > 0 ? `?${params}` : ''}`;
  };
  return {
    sample,
    all: sample === 'all',
    invitation: sample === 'invitation',
    optIn: sample === 'opt-in',
    links: sampleKinds.filter((k) => k !== sample).map((kind) => ({ kind, href: link(kind), label: sampleLabels[kind] })),
    leftOut: leftOut.map((l) => ({ ...l, name: names?.get(l.area) ?? l.area, label: l.month.slice(0, 7) })),
  };
}

// `dimension` is accepted as another name for `measure` (the issue's wording); `measure` wins when both are given.
const withMeasureAlias = (v: unknown) => (v && typeof v === 'object' && !('measure' in v) && 'dimension' in v ? { ...v, measure: v.dimension } : v);

export const trendQuerySchema = z.preprocess(
  withMeasureAlias,
  z.object({
    survey: z.preprocess(blank, z.string().max(200).optional()),
    from: date,
    to: date,
    bucket: z.preprocess(blank, z.enum(bucketKinds, 'must be month, quarter, half or year').default('month')),
    measure: z.preprocess(blank, z.string().max(50).default(TRUST_MEASURE)),
    neighborhood: z.preprocess((v) => (v === undefined ? [] : [v].flat().filter((s) => s !== '')), z.array(z.string().max(200)).max(200)),
    rolling: z.preprocess(
      blank,
      z.coerce
        .number('must be a whole number')
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(MAX_ROLLING, `must be at most ${MAX_ROLLING}`)
        .default(1),
    ),
    weighting: weightingField,
    sample: sampleField,
  }),
);

export type TrendQuery = z.infer<typeof trendQuerySchema>;
export type FieldErrors = Record<string, string>;

export interface MeasureOption {
  value: string;
  label: string;
}

export function measureLabel(measure: string): string {
  return measure === TRUST_MEASURE ? 'Trust index' : measure.charAt(0).toUpperCase() + measure.slice(1).replace(/_/g, ' ');
}

/** The survey's measures, trust first, then its dimensions in question order. */
export function measureOptions(questions: readonly Question[]): MeasureOption[] {
  const keys = [...measuresOf(questions).keys()];
  const ordered = [...keys.filter((k) => k === TRUST_MEASURE), ...keys.filter((k) => k !== TRUST_MEASURE)];
  return ordered.map((value) => ({ value, label: measureLabel(value) }));
}

/** The first problem with each field. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? 'query')] ??= issue.message;
  return errors;
}

export interface ResolvedFilters {
  request: TrendRequest;
  questions: Question[];
  measures: MeasureOption[];
}

/**
 * Checks a parsed query against the database (survey, measure, neighborhoods exist; a sensible range) and fills
 * the defaults: the survey first created, the last twelve months to `latest`, the last day the asker may see (a
 * later end is cut back to it).
 */
export async function resolveFilters(
  query: TrendQuery,
  deps: {
    surveys: () => Promise<readonly Pick<Survey, 'slug'>[]>;
    neighborhoods: () => Promise<readonly Neighborhood[]>;
    findSurvey: (slug: string) => Promise<{ survey: Pick<Survey, 'id' | 'slug'>; questions: Question[] } | undefined>;
    hasMargins: (surveyId: number) => Promise<boolean>;
    latest: string;
  },
): Promise<{ ok: true; value: ResolvedFilters } | { ok: false; errors: FieldErrors }> {
  const slug = query.survey ?? (await deps.surveys())[0]?.slug;
  const found = slug === undefined ? undefined : await deps.findSurvey(slug);
  if (!found) return { ok: false, errors: { survey: 'no survey with this name' } };
  const measures = measureOptions(found.questions);
  const errors: FieldErrors = {};
  if (!measures.some((m) => m.value === query.measure)) errors.measure = `must be one of ${measures.map((m) => m.value).join(', ')}`;
  const neighborhoods = await deps.neighborhoods();
  const unknown = query.neighborhood.filter((s) => !neighborhoods.some((n) => n.slug === s));
  if (unknown.length > 0) errors.neighborhood = `no neighborhood named ${unknown.join(', ')}`;
  const to = query.to === undefined || query.to > deps.latest ? deps.latest : query.to;
  const from = query.from ?? shiftBucket(bucketStart(to, 'month'), 'month', -11);
  if (query.from !== undefined && query.from > deps.latest) errors.from = `figures you can see end on ${deps.latest} (the last complete month)`;
  else if (from > to) errors.to = 'must not be before the start date';
  else if (bucketsBetween(from, to, query.bucket).length > MAX_BUCKETS) errors.from = `the range may hold at most ${MAX_BUCKETS} ${query.bucket}s`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      questions: found.questions,
      measures,
      request: {
        survey: { id: found.survey.id, slug: found.survey.slug },
        measure: query.measure,
        bucket: query.bucket,
        from,
        to,
        latest: deps.latest,
        rolling: query.rolling,
        neighborhoods,
        selected: query.neighborhood.length > 0 ? new Set(query.neighborhood) : null,
        weighted: sampleWeighted(query.sample, isWeighted(query.weighting, await deps.hasMargins(found.survey.id))),
        sample: query.sample,
      },
    },
  };
}
