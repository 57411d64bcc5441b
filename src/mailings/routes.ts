import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { actorId, idParams, notFound } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { dateIn } from '../dates.js';
import type { Mailing, Neighborhood, Question, Survey } from '../db/schema.js';
import { csvStringifier } from '../export/csv.js';
import { catalogs, formatDate, localize, negotiateLanguage, translate } from '../i18n/index.js';
import { RETRY_AFTER_SECONDS } from '../plugins/errors.js';
import { LANGUAGE_COOKIE, flash, setPageLanguage } from '../plugins/request-context.js';
import { sameSiteOnly } from '../plugins/security.js';
import { completesAndPartials, responseRates, type Dispositions } from '../stats/response-rates.js';
import { HONEYPOT_FIELD, answersFromForm, fieldErrors, surveyFormSchema } from '../survey/form-schema.js';
import { surveyFormView, type FormState } from '../survey/form-view.js';
import { codeHash, groupedCode, newCodes, normaliseCode } from './codes.js';
import { LETTERS_MINUTES, createLetterCache } from './letters.js';
import { createMailingRepository } from './queries.js';
import { MAX_INVITATIONS, codeInput, newMailingForm, notEligibleForm, ratesQuery } from './schemas.js';

/** Wrong codes a client may try per window before every code it sends is refused for the rest of the window. */
export const WRONG_CODES = 10;
const WRONG_CODE_WINDOW_MINUTES = 15;

const letterParams = idParams.extend({ n: z.coerce.number().int().min(1).max(MAX_INVITATIONS) });
const answerMeta = z.object({
  channel: z.enum(['web', 'qr']).catch('web'),
  lang: z.string().max(10).optional().catch(undefined),
  switch_lang: z.string().max(10).optional().catch(undefined),
});

const percent = (rate: number | null) => (rate === null ? '–' : `${(100 * rate).toFixed(1)}%`);

/** A mailing's figures for the rates tables: N, NE, I, P, RR1 and RR3 with its e. */
function ratesRow(d: Dispositions, e: number | undefined) {
  const rates = responseRates(d, e);
  return { ...d, unknown: rates.unknown, rr1: percent(rates.rr1), rr3: percent(rates.rr3), e: rates.e.toFixed(2) };
}

/**
 * Mailed invitations: admins make a mailing (single-use codes, kept as hashes only, and a printable sheet of letters
 * while the codes are in memory), record returned letters and read response rates; residents answer once per code.
 */
export async function mailingRoutes(app: FastifyInstance) {
  const mailings = createMailingRepository(app.store);
  const letters = createLetterCache();
  app.addHook('onClose', async () => letters.close());
  const admin = { preHandler: requireRole('admin') };
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };
  // Counted per client address (Fastify's request.ip, which TRUST_PROXY governs), in this server's memory only.
  const wrongCodes = app.createRateLimit({ max: WRONG_CODES, timeWindow: `${WRONG_CODE_WINDOW_MINUTES} minutes` });

  // ---- Admin: mailings, letters, returns and response rates ----

  /** Completes and partials per mailing, from how many scale items each of its responses answered. */
  async function dispositions(list: readonly { mailing: Mailing }[]): Promise<Map<number, Dispositions>> {
    const histogram = await mailings.answeredScaleItems();
    const items = new Map((await mailings.scaleItems()).map((s) => [s.surveyId, s.items]));
    return new Map(
      list.map(({ mailing }) => {
        const counted = completesAndPartials(
          histogram.filter((h) => h.mailingId === mailing.id),
          items.get(mailing.surveyId) ?? 0,
        );
        return [mailing.id, { invitations: mailing.invitations, notEligible: mailing.notEligible, ...counted }];
      }),
    );
  }

  async function renderList(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FormErrors) {
    const e = ratesQuery.parse(request.query).e;
    const list = await mailings.list();
    const counts = await dispositions(list);
    // Mailings of the same survey and neighborhood pooled: the neighborhood's response rate over all its mailings.
    const pooled = new Map<string, { survey: string; neighborhood: string; d: Dispositions }>();
    for (const m of list) {
      const d = counts.get(m.mailing.id)!;
      const key = `${m.mailing.surveyId}|${m.mailing.neighborhoodId}`;
      const into = pooled.get(key) ?? {
        survey: localize(m.surveyTitle, 'en'),
        neighborhood: m.neighborhood,
        d: { invitations: 0, notEligible: 0, complete: 0, partial: 0 },
      };
      into.d = {
        invitations: into.d.invitations + d.invitations,
        notEligible: into.d.notEligible + d.notEligible,
        complete: into.d.complete + d.complete,
        partial: into.d.partial + d.partial,
      };
      pooled.set(key, into);
    }
    const choices = await mailings.surveysAndNeighborhoods();
    const today = dateIn(app.config.TIME_ZONE);
    return reply.code(status).view('mailings/index', {
      title: 'Mailed invitations',
      mailings: list.map((m) => ({
        id: m.mailing.id,
        name: m.mailing.name,
        survey: localize(m.surveyTitle, 'en'),
        neighborhood: m.neighborhood,
        mailedOn: m.mailing.mailedOn,
        closesOn: m.mailing.closesOn,
        open: m.mailing.closesOn >= today,
        ...ratesRow(counts.get(m.mailing.id)!, e),
      })),
      neighborhoods: [...pooled.values()].map((p) => ({ survey: p.survey, neighborhood: p.neighborhood, ...ratesRow(p.d, e) })),
      eStated: e !== undefined,
      e,
      surveys: choices.surveys.map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), selected: s.slug === values.survey })),
      neighborhoodChoices: choices.neighborhoods.map((n) => ({ slug: n.slug, name: n.name, selected: n.slug === values.neighborhood })),
      values,
      maxInvitations: MAX_INVITATIONS,
      lettersMinutes: LETTERS_MINUTES,
      ...errors,
      csrfToken: reply.generateCsrf(),
    });
  }

  app.get('/admin/mailings', admin, (request, reply) => {
    const today = dateIn(app.config.TIME_ZONE);
    return renderList(request, reply, 200, { mailedOn: today }, noErrors);
  });

  app.post('/admin/mailings', adminPost, async (request, reply) => {
    const values = keptValues(request.body);
    const parsed = newMailingForm.safeParse(values);
    if (!parsed.success) return renderList(request, reply, 400, values, zodFormErrors(parsed.error));
    const { survey: surveySlug, neighborhood: neighborhoodSlug, ...fields } = parsed.data;
    const choices = await mailings.surveysAndNeighborhoods();
    const survey = choices.surveys.find((s) => s.slug === surveySlug);
    const neighborhood = choices.neighborhoods.find((n) => n.slug === neighborhoodSlug);
    if (!survey || !neighborhood) {
      const problems: [string, string][] = [];
      if (!survey) problems.push(['survey', 'Choose one of the surveys listed.']);
      if (!neighborhood) problems.push(['neighborhood', 'Choose one of the neighborhoods listed.']);
      return renderList(request, reply, 400, values, formErrors(problems));
    }
    const codes = newCodes(fields.invitations);
    const userId = actorId(request);
    const created = await mailings.create(userId, { ...fields, surveyId: survey.id, neighborhoodId: neighborhood.id }, codes.map(codeHash));
    letters.keep(created.id, userId, codes);
    flash(
      request,
      `Mailing “${created.name}” made with ${created.invitations} invitation codes. Print the letters now: the codes are kept for ${LETTERS_MINUTES} minutes only.`,
    );
    return reply.redirect(`/admin/mailings/${created.id}`, 303);
  });

  async function mailingFor(params: unknown) {
    const parsed = idParams.safeParse(params);
    return parsed.success ? mailings.find(parsed.data.id) : undefined;
  }

  async function renderMailing(request: FastifyRequest, reply: FastifyReply, status: number, id: number, values: Record<string, unknown>, errors: FormErrors) {
    const found = await mailings.find(id);
    if (!found) return notFound(reply);
    const d = (await dispositions([found])).get(id)!;
    const e = ratesQuery.parse(request.query).e;
    const rates = responseRates(d, e);
    const held = letters.codes(id, actorId(request));
    return reply.code(status).view('mailings/show', {
      title: `Mailing: ${found.mailing.name}`,
      mailing: found.mailing,
      survey: localize(found.surveyTitle, 'en'),
      neighborhood: found.neighborhood,
      createdBy: found.createdBy,
      held: held && { until: held.until.toISOString().slice(11, 16), count: held.codes.length },
      d,
      rates: { ...rates, rr1: percent(rates.rr1), rr3: percent(rates.rr3), e: rates.e.toFixed(2) },
      eStated: e !== undefined,
      maxNotEligible: d.invitations - d.complete - d.partial,
      values: { notEligible: String(found.mailing.notEligible), ...values },
      ...errors,
      csrfToken: reply.generateCsrf(),
    });
  }

  app.get('/admin/mailings/:id', admin, async (request, reply) => {
    const found = await mailingFor(request.params);
    if (!found) return notFound(reply);
    return renderMailing(request, reply, 200, found.mailing.id, {}, noErrors);
  });

  app.post('/admin/mailings/:id/not-eligible', adminPost, async (request, reply) => {
    const found = await mailingFor(request.params);
    if (!found) return notFound(reply);
    const d = (await dispositions([found])).get(found.mailing.id)!;
    const values = keptValues(request.body);
    const parsed = notEligibleForm(d.invitations - d.complete - d.partial).safeParse(values);
    if (!parsed.success) return renderMailing(request, reply, 400, found.mailing.id, values, zodFormErrors(parsed.error));
    await mailings.setNotEligible(actorId(request), found.mailing.id, parsed.data.notEligible, found.mailing.notEligible);
    flash(request, `Returned as undeliverable or vacant: ${parsed.data.notEligible}.`);
    return reply.redirect(`/admin/mailings/${found.mailing.id}`, 303);
  });

  app.post('/admin/mailings/:id/forget', adminPost, async (request, reply) => {
    const found = await mailingFor(request.params);
    if (!found) return notFound(reply);
    letters.forget(found.mailing.id, actorId(request));
    flash(request, 'The codes of this mailing are forgotten: its letters can no longer be printed.');
    return reply.redirect(`/admin/mailings/${found.mailing.id}`, 303);
  });

  /** The mailing and its codes while this admin may still print them; else a page saying they are gone. */
  async function heldCodes(request: FastifyRequest, reply: FastifyReply) {
    const found = await mailingFor(request.params);
    if (!found) return { reply: notFound(reply) };
    const held = letters.codes(found.mailing.id, actorId(request));
    if (!held) {
      return {
        reply: reply.code(410).view('errors/error', {
          title: 'These letters can no longer be printed',
          message: `Invitation codes are kept only as hashes; their letters can be printed for ${LETTERS_MINUTES} minutes after the mailing is made, by the admin who made it, on the server that made it (a restart forgets them). Make a new mailing for new letters.`,
        }),
      };
    }
    return { found, codes: held.codes };
  }

  const codeLink = (code: string) => `${app.config.PUBLIC_URL}/i/${code}`;

  app.get('/admin/mailings/:id/letters', admin, async (request, reply) => {
    const held = await heldCodes(request, reply);
    if (!held.codes) return held.reply;
    const { mailing, neighborhood } = held.found;
    const texts = ['en', 'es'].map((lang) => ({
      lang,
      heading: translate(lang, 'letter.heading'),
      body: translate(lang, 'letter.body', { department: translate(lang, 'site.name'), neighborhood }),
      scan: translate(lang, 'letter.scan', { url: `${app.config.PUBLIC_URL}/invitation` }),
      until: translate(lang, 'letter.until', { date: formatDate(mailing.closesOn, lang) }),
    }));
    return reply.header('cache-control', 'no-store').view('mailings/letters', {
      title: `Letters: ${mailing.name}`,
      mailing,
      department: translate('en', 'site.name'),
      letters: held.codes.map((code, i) => ({ n: i + 1, code: groupedCode(code), link: codeLink(code), texts })),
    });
  });

  app.get('/admin/mailings/:id/letters/:n.svg', admin, async (request, reply) => {
    const held = await heldCodes(request, reply);
    if (!held.codes) return held.reply;
    const n = letterParams.safeParse(request.params);
    if (!n.success || n.data.n > held.codes.length) return notFound(reply);
    // Loaded when first asked for, as on the outreach page.
    const { default: QRCode } = await import('qrcode');
    return reply
      .header('cache-control', 'no-store')
      .type('image/svg+xml')
      .send(await QRCode.toString(codeLink(held.codes[n.data.n - 1]), { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }));
  });

  app.get('/admin/mailings/:id/codes.csv', admin, async (request, reply) => {
    const held = await heldCodes(request, reply);
    if (!held.codes) return held.reply;
    const csv = csvStringifier();
    csv.write(['code', 'link']);
    for (const code of held.codes) csv.write([groupedCode(code), codeLink(code)]);
    csv.end();
    return reply
      .header('cache-control', 'no-store')
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="mailing-${held.found.mailing.id}-codes.csv"`)
      .send(csv);
  });

  // ---- Residents: a code from a letter opens the survey once ----

  function language(request: FastifyRequest, offered: readonly string[], explicit?: string) {
    return negotiateLanguage(offered, { query: explicit, cookie: request.cookies[LANGUAGE_COOKIE], acceptLanguage: request.headers['accept-language'] });
  }

  function renderCodePage(request: FastifyRequest, reply: FastifyReply, status: number, typed: string, error?: string) {
    const errorList = error ? [{ href: '#field-code', message: error }] : [];
    return reply.code(status).view('mailings/code', {
      title: translate(request.lang, 'invitation.title'),
      titleError: !!error,
      code: typed,
      error,
      errorList,
      hasErrors: !!error,
    });
  }

  function renderNotice(request: FastifyRequest, reply: FastifyReply, status: number, lang: string, title: string, message: string, survey?: string) {
    setPageLanguage(request, reply, lang);
    return reply.code(status).view('mailings/notice', { title, message, openSurvey: survey && `/surveys/${survey}?lang=${lang}` });
  }

  type Invitation = { hash: string; code: string; mailing: Mailing; survey: Survey; questions: readonly Question[]; neighborhood: Neighborhood };

  /**
   * What a code opens, or the page that says why it opens nothing: wrong codes are counted against the client, and a
   * client past the limit is refused before its code is even looked at.
   */
  async function openInvitation(request: FastifyRequest, reply: FastifyReply, typed: string, lang: string): Promise<Invitation | { reply: FastifyReply }> {
    const seen = await wrongCodes(request, { increment: false });
    if (!seen.isAllowed && (seen.remaining ?? 0) <= 0) {
      reply.header('retry-after', String(seen.ttlInSeconds ?? WRONG_CODE_WINDOW_MINUTES * 60));
      const title = translate(lang, 'invitation.tooManyTitle');
      return { reply: await renderNotice(request, reply, 429, lang, title, translate(lang, 'invitation.tooManyBody', { minutes: WRONG_CODE_WINDOW_MINUTES })) };
    }
    const code = normaliseCode(typed);
    const found = code === null ? undefined : await mailings.byCode(codeHash(code));
    if (!code || !found) {
      if (typed.trim() !== '') await wrongCodes(request);
      setPageLanguage(request, reply, lang);
      request.lang = lang;
      const status = typed.trim() === '' ? 400 : 404;
      return { reply: await renderCodePage(request, reply, status, typed, translate(lang, typed.trim() === '' ? 'invitation.missing' : 'invitation.wrong')) };
    }
    const withQuestions = await app.surveys.findWithQuestions(found.surveySlug);
    const neighborhood = (await app.surveys.activeNeighborhoods()).find((n) => n.id === found.mailing.neighborhoodId);
    const surveyLang = withQuestions ? language(request, withQuestions.survey.languages, lang) : lang;
    const open = withQuestions?.survey.status === 'open' ? withQuestions.survey.slug : undefined;
    if (found.spent) {
      return {
        reply: await renderNotice(
          request,
          reply,
          409,
          surveyLang,
          translate(surveyLang, 'invitation.usedTitle'),
          translate(surveyLang, 'invitation.usedBody'),
          open,
        ),
      };
    }
    if (!withQuestions || !neighborhood || withQuestions.survey.status !== 'open' || found.mailing.closesOn < dateIn(app.config.TIME_ZONE)) {
      const message = translate(surveyLang, 'invitation.closedBody', { date: formatDate(found.mailing.closesOn, surveyLang) });
      return { reply: await renderNotice(request, reply, 410, surveyLang, translate(surveyLang, 'invitation.closedTitle'), message) };
    }
    return { hash: codeHash(code), code, mailing: found.mailing, survey: withQuestions.survey, questions: withQuestions.questions, neighborhood };
  }

  /** The survey form for an invitation: the mailing's neighborhood fixed, the code carried in the form (never in a URL). */
  function renderInvitationForm(
    request: FastifyRequest,
    reply: FastifyReply,
    invitation: Invitation,
    lang: string,
    channel: 'web' | 'qr',
    state: FormState,
    notSaved = false,
  ) {
    const { survey, questions, neighborhood } = invitation;
    setPageLanguage(request, reply, lang);
    reply.locals = {
      ...reply.locals,
      languageButtons: survey.languages.filter((code) => code !== lang && code in catalogs).map((code) => ({ code, name: catalogs[code].name })),
      scripts: ['/static/js/survey-form.js'],
    };
    const form = surveyFormView(survey, questions, [neighborhood], lang, state, { presetNeighborhood: neighborhood.slug, changeNeighborhood: false });
    return reply.header('cache-control', 'no-store').view('survey/form', {
      title: form.title,
      titleError: form.hasErrors,
      form,
      formAction: '/invitation/answers',
      invitation: groupedCode(invitation.code),
      channel,
      notSaved,
      minGroupSize: app.config.MIN_GROUP_SIZE,
    });
  }

  app.get('/invitation', async (request, reply) => renderCodePage(request, reply, 200, ''));

  app.post('/invitation', { preHandler: sameSiteOnly(app) }, async (request, reply) => {
    const { code } = codeInput.parse(request.body ?? {});
    const invitation = await openInvitation(request, reply, code, request.lang);
    if ('reply' in invitation) return invitation.reply;
    const lang = language(request, invitation.survey.languages, request.lang);
    return renderInvitationForm(request, reply, invitation, lang, 'web', { values: {}, errors: new Map() });
  });

  // The link a letter's QR code carries; the path is never logged (see loggedPath in src/app.ts).
  app.get('/i/:code', async (request, reply) => {
    const { code } = codeInput.parse(request.params);
    const invitation = await openInvitation(request, reply, code, request.lang);
    if ('reply' in invitation) return invitation.reply;
    const lang = language(request, invitation.survey.languages, request.lang);
    return renderInvitationForm(request, reply, invitation, lang, 'qr', { values: {}, errors: new Map() });
  });

  app.post(
    '/invitation/answers',
    { bodyLimit: 64 * 1024, preHandler: sameSiteOnly(app), config: { rateLimit: { max: app.config.SUBMIT_RATE_LIMIT, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const body = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Record<string, unknown>) : {};
      const meta = answerMeta.parse(body);
      const invitation = await openInvitation(request, reply, typeof body.invitation === 'string' ? body.invitation : '', meta.lang ?? request.lang);
      if ('reply' in invitation) return invitation.reply;
      const { survey, questions, neighborhood, mailing } = invitation;
      const lang = language(request, survey.languages, meta.lang);
      // The neighborhood is the mailing's, whatever the form says.
      const values = { ...body, neighborhood: neighborhood.slug };

      if (meta.switch_lang && survey.languages.includes(meta.switch_lang) && meta.switch_lang in catalogs) {
        return renderInvitationForm(request, reply, invitation, meta.switch_lang, meta.channel, { values, errors: new Map() });
      }
      // A filled honeypot is a bot: answer as if accepted, store nothing.
      const honeypot = body[HONEYPOT_FIELD];
      const thanks = `/surveys/${survey.slug}/thanks?${new URLSearchParams({ lang, channel: meta.channel })}`;
      if (honeypot !== undefined && honeypot !== '') return reply.redirect(thanks, 303);

      const parsed = surveyFormSchema(questions, [neighborhood]).safeParse(values);
      if (!parsed.success) {
        reply.code(400);
        return renderInvitationForm(request, reply, invitation, lang, meta.channel, { values, errors: fieldErrors(parsed.error) });
      }
      let stored: number | null;
      try {
        stored = await app.surveys.submit(
          {
            surveyId: survey.id,
            neighborhoodId: neighborhood.id,
            submittedOn: dateIn(app.config.TIME_ZONE),
            channel: meta.channel,
            language: lang,
            mailingId: mailing.id,
            answers: answersFromForm(parsed.data, questions),
          },
          questions,
          { invitation: invitation.hash },
        );
      } catch (err) {
        if (!app.store.isStorageError(err)) throw err;
        app.store.failed(err as Error);
        request.log.error({ err }, 'an invited submission could not be stored');
        reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
        return renderInvitationForm(request, reply, invitation, lang, meta.channel, { values, errors: new Map() }, true);
      }
      // Spent by a concurrent submission of the same code, between the check above and this one's commit.
      if (stored === null) {
        const open = survey.status === 'open' ? survey.slug : undefined;
        return renderNotice(request, reply, 409, lang, translate(lang, 'invitation.usedTitle'), translate(lang, 'invitation.usedBody'), open);
      }
      // Stored: the code's row no longer shares its transaction id with the response (PostgreSQL; see unlinkSpent).
      await mailings.unlinkSpent(mailing.id).catch((err: unknown) => request.log.warn({ err }, 'spent invitation codes could not be rewritten'));
      return reply.redirect(thanks, 303);
    },
  );
}
