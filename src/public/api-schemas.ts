import { z } from 'zod';
import { cellSchema, trendsSchema } from '../results/api-schemas.js';

export const publicFiguresSchema = z
  .object({
    survey: z.string(),
    title: z.string(),
    language: z.string().describe('the language of names and labels (?lang=, as on the page)'),
    minGroupSize: z.number().int().describe('the privacy floor: no count under it is shown'),
    minReliableSize: z.number().int().describe('no average from fewer responses is shown'),
    lowReliabilitySize: z.number().int().describe('groups with fewer responses are flagged low_reliability'),
    trust: trendsSchema.describe(
      'trust per neighborhood and for the city over the last 24 complete months, in months or quarters (?bucket=) and rolling windows (?rolling=); perturbed as described in docs/method.md',
    ),
    dimensions: z.object({
      measures: z.array(z.object({ measure: z.string(), name: z.string() })),
      areas: z.array(z.object({ area: z.string(), name: z.string(), cells: z.array(cellSchema).describe('one per measure, pooled over the last 12 months') })),
    }),
    events: z.array(z.object({ title: z.string(), occurredOn: z.string(), area: z.string() })).describe('public events in the period'),
  })
  .meta({ id: 'PublicFigures' });
