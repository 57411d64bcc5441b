import { z } from 'zod';
import { sampleField, weightingField } from '../results/filters.js';
import { isIsoDate } from '../dates.js';
import { eventKinds, type Neighborhood } from '../db/schema.js';
import { catalogs, defaultLanguage } from '../i18n/index.js';
import { DEFAULT_IMPACT_MONTHS, impactMonthOptions } from './impact.js';

export const eventKindLabels: Record<(typeof eventKinds)[number], string> = {
  outreach: 'Community outreach',
  incident: 'Incident',
  policy: 'Policy or staffing change',
  other: 'Other',
};

const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((v) => (v ? v : null));

function isWebLink(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Languages an event title is written in (those of the resident pages); the first is always required. */
export const titleLanguages = Object.keys(catalogs);
export const titleField = (lang: string) => `title_${lang}`;
const titleText = z.string().trim().max(200, 'Use at most 200 characters.').optional();

/** The event form; `neighborhood` is a slug among the given neighborhoods, or empty for a city-wide event. */
export function eventFormSchema(neighborhoodList: readonly Pick<Neighborhood, 'id' | 'slug'>[]) {
  return z
    .object({
      ...Object.fromEntries(
        titleLanguages.map((lang) => [
          titleField(lang),
          lang === defaultLanguage ? z.string('Enter a title.').trim().min(1, 'Enter a title.').max(200, 'Use at most 200 characters.') : titleText,
        ]),
      ),
      occurredOn: z.string('Enter the date of the event.').refine(isIsoDate, 'Enter a real date.'),
      neighborhood: z
        .string()
        .optional()
        .refine((v) => !v || neighborhoodList.some((n) => n.slug === v), 'Choose a neighborhood from the list, or city-wide.'),
      kind: z.enum(eventKinds, 'Choose what kind of event this was.'),
      description: optionalText(2000, 'Use at most 2000 characters.'),
      link: optionalText(500, 'Use at most 500 characters.').refine(
        (v) => v === null || isWebLink(v),
        'Enter a web address starting with http:// or https://.',
      ),
      isPublic: z
        .literal('on')
        .optional()
        .transform((v) => v === 'on'),
    })
    .superRefine((form, ctx) => {
      // Public events are shown on resident pages in every language, so they need every title; others need English.
      for (const lang of titleLanguages) {
        if (form.isPublic && !(form as Record<string, unknown>)[titleField(lang)])
          ctx.addIssue({ code: 'custom', path: [titleField(lang)], message: `Enter the title in ${catalogs[lang].name} for the public page.` });
      }
    })
    .transform(({ neighborhood, occurredOn, kind, description, link, isPublic, ...titles }) => ({
      title: Object.fromEntries<string>(
        titleLanguages.flatMap((lang) => {
          const text = (titles as Record<string, string | undefined>)[titleField(lang)];
          return text ? [[lang, text] as const] : [];
        }),
      ),
      occurredOn,
      kind,
      description,
      link,
      isPublic,
      neighborhoodId: neighborhood ? neighborhoodList.find((n) => n.slug === neighborhood)!.id : null,
    }));
}

export type EventInput = z.output<ReturnType<typeof eventFormSchema>>;

export const eventParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const impactQuerySchema = z.object({
  months: z.preprocess(
    (v) => (v === undefined || v === '' ? String(DEFAULT_IMPACT_MONTHS) : v),
    z.enum(impactMonthOptions.map(String) as [string, ...string[]], 'must be 1, 3 or 6').transform(Number),
  ),
  measure: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(50).optional()),
  survey: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(200).optional()),
  weighting: weightingField,
  sample: sampleField,
});
