import { z } from 'zod';
import { blank, checkbox } from '../admin/forms.js';
import { isIsoDate } from '../dates.js';
import { channels } from '../db/schema.js';

export const exportFormats = ['wide', 'long'] as const;
export type ExportFormat = (typeof exportFormats)[number];

const isoDate = (label: string) => z.preprocess(blank, z.string().refine(isIsoDate, `Enter the ${label} date as YYYY-MM-DD, e.g. 2026-03-31.`).optional());
const list = (v: unknown) => (v === undefined ? [] : [v].flat().filter((i) => i !== ''));

/** Export filters, as given by the export form (query string) or the command line. */
export const exportFilters = z
  .object({
    survey: z.preprocess(blank, z.string({ error: 'Choose the survey to export.' }).max(200)),
    from: isoDate('first'),
    to: isoDate('last'),
    neighborhood: z.preprocess(list, z.array(z.string().max(200)).max(1000)),
    channel: z.preprocess(blank, z.enum(channels, { error: 'Choose a channel from the list.' }).optional()),
    format: z.preprocess(blank, z.enum(exportFormats, { error: 'Choose wide or long.' }).default('wide')),
    bom: z.preprocess(checkbox, z.boolean()),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: 'The last date must not be before the first date.' });

export type ExportFilters = z.infer<typeof exportFilters>;

/** What an export's audit entry keeps: the filters, never any answer. */
export const auditedFilters = (f: ExportFilters) => ({
  survey: f.survey,
  from: f.from ?? null,
  to: f.to ?? null,
  neighborhoods: f.neighborhood,
  channel: f.channel ?? null,
  format: f.format,
  bom: f.bom,
});
