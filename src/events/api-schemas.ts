import { z } from 'zod';
import { eventKinds } from '../db/schema.js';
import { cellSchema, changeSchema, trendsSchema } from '../results/api-schemas.js';
import type { Impact } from './impact.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const range = z.object({ from: isoDate, to: isoDate });
const areaImpactSchema = z.object({ before: cellSchema, after: cellSchema, difference: changeSchema.nullable() }).meta({ id: 'AreaImpact' });

export const impactSchema = z
  .object({
    event: z.object({
      id: z.number().int(),
      title: z.string(),
      occurredOn: isoDate,
      kind: z.enum(eventKinds),
      neighborhood: z.string().nullable(),
      weekLabel: z.string(),
    }),
    survey: z.string(),
    measure: z.string(),
    weeks: z.number().int(),
    windows: z.object({ before: range, eventWeek: range, after: range }),
    area: areaImpactSchema,
    comparison: areaImpactSchema.nullable(),
    differenceInDifferences: changeSchema.nullable(),
    weekly: trendsSchema,
  })
  .meta({ id: 'Impact' });

// A change to the Impact type or to this schema fails type-checking until both agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const impactSchemaMatches: Same<z.output<typeof impactSchema>, Impact> = true;
