import { z } from 'zod';
import { bucketKinds } from '../stats/buckets.js';
import { sampleKinds } from './filters.js';
import type { Cell } from '../stats/cells.js';
import type { Change, Trends, TrendSample } from './trends.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const cellSchema = z
  .object({
    n: z.number().int().nullable().describe('responses counted (perturbed for liaisons and the public); null under the privacy floor'),
    mean: z.number().nullable(),
    sd: z.number().nullable(),
    se: z.number().nullable().describe("the mean's standard error, including the perturbation's variance"),
    ci_low: z.number().nullable(),
    ci_high: z.number().nullable(),
    suppressed: z.boolean(),
    low_reliability: z.boolean(),
    weighted: z.boolean().describe('weighted to the census margins (the mean is weighted)'),
    n_eff: z
      .number()
      .nullable()
      .describe("Kish's effective sample size of a weighted figure, which the reliability threshold applies to; null when unweighted"),
  })
  .meta({
    id: 'Cell',
    description: 'One aggregate (0–100). Under the privacy floor every figure is null; under the reliability threshold only n is shown.',
  });

export const changeSchema = z
  .object({ estimate: z.number(), se: z.number(), ci_low: z.number(), ci_high: z.number(), df: z.number() })
  .meta({ id: 'Change', description: "A difference with Welch's 95% interval." });

export const sampleSchema = z
  .object({
    kind: z
      .enum(sampleKinds)
      .describe('which responses the figures count: all, opt-in (web, QR, kiosk, paper) or invitation (mailed invitations, a random sample)'),
    left_out: z
      .array(z.object({ area: z.string().describe('a neighborhood slug'), month: isoDate.describe("the month's first day") }))
      .describe(
        "neighborhood-months left out of a sample's figures (the city's too): their invitation or opt-in part is under the privacy floor, and all − opt-in = invitation",
      ),
  })
  .meta({ id: 'Sample' });

export const trendsSchema = z
  .object({
    survey: z.string(),
    measure: z.string(),
    bucket: z.enum(bucketKinds),
    from: isoDate,
    to: isoDate,
    rolling: z.number().int(),
    buckets: z.array(z.object({ start: isoDate, end: isoDate, label: z.string() })),
    series: z.array(z.object({ area: z.string().describe('a neighborhood slug, or "city"'), name: z.string(), cells: z.array(cellSchema) })),
    sample: sampleSchema,
  })
  .meta({ id: 'Trends' });

// The schemas describe the very types the code returns: a change to either fails type-checking until both agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const trendSchemasMatch: [
  Same<z.output<typeof cellSchema>, Cell>,
  Same<z.output<typeof changeSchema>, Change>,
  Same<z.output<typeof trendsSchema>, Trends>,
  Same<z.output<typeof sampleSchema>, TrendSample>,
] = [true, true, true, true];
