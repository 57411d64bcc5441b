import { z } from 'zod';
import { eventKinds } from '../db/schema.js';
import { cellSchema, changeSchema, sampleSchema, trendsSchema } from '../results/api-schemas.js';
import type { Impact } from './impact.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const range = z.object({ from: isoDate, to: isoDate });
const areaImpactSchema = z.object({ before: cellSchema, after: cellSchema, difference: changeSchema.nullable() }).meta({ id: 'AreaImpact' });

const verdictSchema = z
  .object({
    kind: z.enum(['clear-rise', 'clear-fall', 'no-clear-change', 'too-few']),
    estimate: changeSchema.nullable().describe('the difference-in-differences for a neighborhood’s event, else after − before'),
    t: z.number().nullable(),
    minimum_detectable: z.number().nullable().describe('2.80 × the standard error: the smallest change detected with 80% power'),
    responses_for_target: z
      .number()
      .int()
      .nullable()
      .describe('more responses after the event that would detect a `target`-point change; null when none would'),
    target: z.number(),
    placebo: z.object({ windows: z.number().int(), exceeded: z.number().nullable(), enough: z.boolean() }),
  })
  .meta({ id: 'Verdict' });

export const impactSchema = z
  .object({
    event: z.object({
      id: z.number().int(),
      title: z.string(),
      occurredOn: isoDate,
      kind: z.enum(eventKinds),
      neighborhood: z.string().nullable(),
      monthLabel: z.string(),
    }),
    survey: z.string(),
    measure: z.string(),
    months: z.number().int(),
    windows: z.object({ before: range, eventMonth: range, after: range }),
    after_months_available: z.number().int(),
    area: areaImpactSchema,
    comparison: areaImpactSchema.nullable(),
    differenceInDifferences: changeSchema.nullable(),
    verdict: verdictSchema,
    sample: sampleSchema,
    monthly: trendsSchema,
  })
  .meta({ id: 'Impact' });

// A change to the Impact type or to this schema fails type-checking until both agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const impactSchemaMatches: Same<z.output<typeof impactSchema>, Impact> = true;
