import { z } from 'zod';
import { blank } from '../admin/forms.js';
import { isIsoDate } from '../dates.js';

/** Invitations per mailing: a few hundred to a few thousand addresses are sampled in practice (The NCS mails 1,500–3,000). */
export const MAX_INVITATIONS = 5000;

const day = (what: string) =>
  z.preprocess(blank, z.string({ error: `Enter the ${what} as a date.` }).refine(isIsoDate, `Enter the ${what} as a date, e.g. 2026-03-02.`));

/** The new-mailing form: survey and neighborhood by slug, how many invitations and the days it runs. */
export const newMailingForm = z
  .object({
    survey: z.preprocess(blank, z.string({ error: 'Choose the survey.' }).max(200)),
    neighborhood: z.preprocess(blank, z.string({ error: 'Choose the neighborhood the addresses are in.' }).max(200)),
    name: z
      .string({ error: 'Give the mailing a name, e.g. Riverside spring 2026.' })
      .trim()
      .min(1, 'Give the mailing a name, e.g. Riverside spring 2026.')
      .max(200, 'Use at most 200 characters for the name.'),
    invitations: z.preprocess(
      blank,
      z.coerce
        .number({ error: `Enter how many invitations, from 1 to ${MAX_INVITATIONS}.` })
        .int(`Enter how many invitations as a whole number, from 1 to ${MAX_INVITATIONS}.`)
        .min(1, `Enter how many invitations, from 1 to ${MAX_INVITATIONS}.`)
        .max(MAX_INVITATIONS, `At most ${MAX_INVITATIONS} invitations per mailing: make another mailing for more.`),
    ),
    mailedOn: day('day the letters are mailed'),
    closesOn: day('last day answers are accepted'),
  })
  .refine((m) => m.closesOn >= m.mailedOn, { path: ['closesOn'], message: 'The last day for answers must be on or after the mailing day.' });

/** The returns form: how many invitations came back undeliverable or vacant. */
export const notEligibleForm = (max: number) =>
  z.object({
    notEligible: z.preprocess(
      blank,
      z.coerce
        .number({ error: 'Enter the number of returned invitations, 0 or more.' })
        .int('Enter the number of returned invitations as a whole number.')
        .min(0, 'Enter the number of returned invitations, 0 or more.')
        .max(max, `At most ${max}: the invitations neither answered nor already counted.`),
    ),
  });

/** The assumed eligibility rate e for RR3, when an admin states one (else it is estimated). */
export const ratesQuery = z.object({
  e: z.preprocess(blank, z.coerce.number().min(0).max(1).optional()).catch(undefined),
});

/** An invitation code as typed or linked (read with normaliseCode). */
export const codeInput = z.object({ code: z.string().max(100).catch('') });
