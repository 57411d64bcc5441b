import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dateIn } from '../dates.js';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import { catalogs, formatDate, localize, negotiateLanguage, translate } from '../i18n/index.js';
import { queuedDayProblem } from '../kiosk/receipts.js';
import { isKioskDevice, kioskDevice, kioskQueuePass, openQueuePass } from '../outreach/links.js';
import { RETRY_AFTER_SECONDS } from '../plugins/errors.js';
import { LANGUAGE_COOKIE, setPageLanguage } from '../plugins/request-context.js';
import { sameSiteOnly } from '../plugins/security.js';
import { HONEYPOT_FIELD, answersFromForm, fieldErrors, surveyFormSchema } from './form-schema.js';
import { surveyFormView, type FormState } from './form-view.js';

const slugParams = z.object({ slug: z.string().max(200) });
const eventId = z.coerce.number().int().positive().optional().catch(undefined);
const formQuery = z.object({
  neighborhood: z.string().max(200).optional().catch(undefined),
  channel: z.enum(['web', 'qr', 'kiosk']).catch('web'),
  event: eventId,
  change: z.literal('1').optional().catch(undefined),
  lang: z.string().max(10).optional().catch(undefined),
});
const submissionMeta = z.object({
  channel: z.enum(['web', 'qr', 'kiosk']).catch('web'),
  event: eventId,
  lang: z.string().max(10).optional().catch(undefined),
  // The language buttons at the top of the form post the answers so far with the language wanted.
  switch_lang: z.string().max(10).optional().catch(undefined),
  // Set when the resident was shown the neighborhood list, so a language switch shows it again.
  picker: z.literal('1').optional().catch(undefined),
  // A kiosk page's random id for this answer, made when the resident starts: it is stored once however often it is sent.
  answer_id: z.uuid().optional().catch(undefined),
});

/** An answer a kiosk kept on the device while offline, sent later with its link's pass and the day it was given. */
const queuedAnswer = z.object({
  answerId: z.uuid(),
  day: z.iso.date(),
  pass: z.string().min(1).max(500),
  // The form's fields as the device saved them.
  fields: z.record(z.string().max(200), z.union([z.string().max(10_000), z.array(z.string().max(10_000)).max(100)])),
});

/** A query string of the given parameters, leaving out those not set. */
const queryOf = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).flatMap(([key, value]): [string, string][] => (value === undefined ? [] : [[key, String(value)]])));

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// Days for which the "you answered on …" notice is shown; it informs, it never blocks.
const ANSWERED_COOKIE_DAYS = 30;
const answeredCookie = (survey: Survey) => `cg_answered_${survey.id}`;

export async function surveyRoutes(app: FastifyInstance) {
  const { surveys } = app;

  // Only a device set up with a staff kiosk link answers as a kiosk, and such a device always does.
  async function channelFor(request: FastifyRequest, asked: 'web' | 'qr' | 'kiosk') {
    if (await isKioskDevice(app, request)) return 'kiosk' as const;
    return asked === 'kiosk' ? ('web' as const) : asked;
  }

  // Building a zod schema costs more than the rest of a submission; reuse it while questions and neighborhoods are unchanged.
  const formSchemas = new Map<
    number,
    { questions: readonly Question[]; neighborhoods: readonly Neighborhood[]; key: string; schema: ReturnType<typeof surveyFormSchema> }
  >();
  function formSchemaFor(survey: Survey, questions: readonly Question[], neighborhoods: readonly Neighborhood[]) {
    const cached = formSchemas.get(survey.id);
    // The repository hands out the same objects until the data changes; after a change compare the content.
    if (cached?.questions === questions && cached.neighborhoods === neighborhoods) return cached.schema;
    const key = JSON.stringify([questions, neighborhoods.map((n) => n.slug)]);
    const schema = cached?.key === key ? cached.schema : surveyFormSchema(questions, neighborhoods);
    formSchemas.set(survey.id, { questions, neighborhoods, key, schema });
    return schema;
  }

  const knownEvent = async (id: number | undefined) => (id !== undefined && (await surveys.eventExists(id)) ? id : undefined);

  function surveyLanguage(request: FastifyRequest, survey: Survey, explicit?: string): string {
    return negotiateLanguage(survey.languages, {
      query: explicit,
      cookie: request.cookies[LANGUAGE_COOKIE],
      acceptLanguage: request.headers['accept-language'],
    });
  }

  function renderClosed(request: FastifyRequest, reply: FastifyReply, survey: Survey, lang: string, status: number) {
    setPageLanguage(request, reply, lang);
    return reply.code(status).view('survey/closed', { title: translate(lang, 'closed.title'), surveyTitle: localize(survey.title, lang) });
  }

  /**
   * The survey form page: its language choice posts the form (keeping every answer), a kiosk resets itself when left
   * idle, and a kiosk device keeps answers it cannot send (with its link's pass) until it is back online.
   */
  async function renderForm(
    request: FastifyRequest,
    reply: FastifyReply,
    survey: Survey,
    form: ReturnType<typeof surveyFormView>,
    page: { lang: string; channel: 'web' | 'qr' | 'kiosk'; event?: number; neighborhood?: string; answeredOn?: string },
  ) {
    const { lang, channel, event } = page;
    setPageLanguage(request, reply, lang);
    const kiosk = channel === 'kiosk';
    const device = kiosk ? await kioskDevice(app, request) : null;
    reply.locals = {
      ...reply.locals,
      kiosk,
      // The header shows these as submit buttons of the form instead of links, which would lose the answers.
      languageButtons: survey.languages.filter((code) => code !== lang && code in catalogs).map((code) => ({ code, name: catalogs[code].name })),
      scripts: ['/static/js/survey-form.js', ...(kiosk ? ['/static/js/kiosk.js', '/static/js/kiosk-queue.js', '/static/js/kiosk-offline.js'] : [])],
    };
    return reply.view('survey/form', {
      title: form.title,
      titleError: form.hasErrors,
      form,
      channel,
      event,
      minGroupSize: app.config.MIN_GROUP_SIZE,
      answeredOn: page.answeredOn,
      changeLink: `/surveys/${survey.slug}?${queryOf({ change: '1', channel, lang, neighborhood: page.neighborhood, event })}`,
      kioskReset: kiosk ? `/surveys/${survey.slug}?${queryOf({ channel, lang, neighborhood: page.neighborhood, event })}` : undefined,
      kioskPass: device ? kioskQueuePass(app, device) : undefined,
    });
  }

  function notFound(request: FastifyRequest, reply: FastifyReply) {
    return reply.code(404).view('errors/error', { title: translate(request.lang, 'notFound.title'), message: translate(request.lang, 'notFound.body') });
  }

  app.get('/surveys/:slug', async (request, reply) => {
    const { slug } = slugParams.parse(request.params);
    const query = formQuery.parse(request.query);
    const found = await surveys.findWithQuestions(slug);
    if (!found) return notFound(request, reply);
    const { survey, questions } = found;
    const lang = surveyLanguage(request, survey, query.lang);
    if (survey.status !== 'open') return renderClosed(request, reply, survey, lang, 200);

    const channel = await channelFor(request, query.channel);
    const event = await knownEvent(query.event);
    const form = surveyFormView(
      survey,
      questions,
      await surveys.activeNeighborhoods(),
      lang,
      { values: {}, errors: new Map() },
      {
        presetNeighborhood: query.neighborhood,
        changeNeighborhood: query.change === '1',
      },
    );
    const answered = channel === 'kiosk' ? null : app.signers.answered.unsign(request.cookies[answeredCookie(survey)] ?? '');
    return renderForm(request, reply, survey, form, {
      lang,
      channel,
      event,
      neighborhood: query.neighborhood,
      answeredOn: answered?.valid && answered.value ? formatDate(answered.value, lang) : undefined,
    });
  });

  app.post(
    '/surveys/:slug',
    {
      bodyLimit: 64 * 1024,
      preHandler: sameSiteOnly(app),
      // A kiosk serves many residents from one device, so it is exempt from the per-client limit.
      config: { rateLimit: { max: app.config.SUBMIT_RATE_LIMIT, timeWindow: '1 minute', allowList: (request: FastifyRequest) => isKioskDevice(app, request) } },
    },
    async (request, reply) => {
      const { slug } = slugParams.parse(request.params);
      const found = await surveys.findWithQuestions(slug);
      if (!found) return notFound(request, reply);
      const { survey, questions } = found;
      // A form posts an object; anything else (a JSON array, say) is read as an empty form.
      const body = isRecord(request.body) ? request.body : {};
      const meta = submissionMeta.parse(body);
      const channel = await channelFor(request, meta.channel);
      const event = await knownEvent(meta.event);
      const lang = surveyLanguage(request, survey, meta.lang);
      if (survey.status !== 'open') return renderClosed(request, reply, survey, lang, 409);
      const thanks = `/surveys/${survey.slug}/thanks?${queryOf({ lang, channel, event })}`;
      const neighborhoods = await surveys.activeNeighborhoods();

      // A language switch shows the same form and answers in the other language: nothing is stored, no error shown.
      if (meta.switch_lang && survey.languages.includes(meta.switch_lang) && meta.switch_lang in catalogs) {
        const chosen = typeof body.neighborhood === 'string' ? body.neighborhood : undefined;
        const form = surveyFormView(
          survey,
          questions,
          neighborhoods,
          meta.switch_lang,
          { values: body, errors: new Map() },
          { changeNeighborhood: meta.picker === '1' },
        );
        return renderForm(request, reply, survey, form, { lang: meta.switch_lang, channel, event, neighborhood: chosen });
      }

      // A filled honeypot is a bot: answer as if accepted, store nothing.
      const honeypot = body[HONEYPOT_FIELD];
      if (honeypot !== undefined && honeypot !== '') return reply.redirect(thanks, 303);

      const parsed = formSchemaFor(survey, questions, neighborhoods).safeParse(body);
      if (!parsed.success) {
        const state: FormState = { values: body, errors: fieldErrors(parsed.error) };
        reply.code(400);
        return renderForm(request, reply, survey, surveyFormView(survey, questions, neighborhoods, lang, state, { changeNeighborhood: true }), {
          lang,
          channel,
          event,
        });
      }

      const neighborhood = neighborhoods.find((n) => n.slug === parsed.data.neighborhood)!;
      const submittedOn = dateIn(app.config.TIME_ZONE);
      try {
        await surveys.submit(
          {
            surveyId: survey.id,
            neighborhoodId: neighborhood.id,
            submittedOn,
            channel,
            eventId: event ?? null,
            language: lang,
            answers: answersFromForm(parsed.data, questions),
          },
          questions,
          // Sent again after its first sending got no answer (the connection dropped): stored once, answered the same.
          { answerId: channel === 'kiosk' ? meta.answer_id : undefined },
        );
      } catch (err) {
        if (!app.store.isStorageError(err)) throw err;
        // Not stored: the resident gets the form back as filled in, told to send it again.
        app.store.failed(err as Error);
        request.log.error({ err }, 'a submission could not be stored');
        setPageLanguage(request, reply, lang);
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .view('survey/form', {
            form: surveyFormView(survey, questions, neighborhoods, lang, { values: body, errors: new Map() }, { changeNeighborhood: true }),
            notSaved: true,
            channel,
            event,
            minGroupSize: app.config.MIN_GROUP_SIZE,
          });
      }
      // Only now, after the commit, is the resident told the answers were saved.
      if (channel !== 'kiosk') {
        reply.setCookie(answeredCookie(survey), app.signers.answered.sign(submittedOn), {
          httpOnly: true,
          sameSite: 'lax',
          secure: app.config.PUBLIC_URL.startsWith('https:'),
          path: `/surveys/${survey.slug}`,
          maxAge: ANSWERED_COOKIE_DAYS * 24 * 3600,
        });
      }
      return reply.redirect(`${thanks}&${queryOf({ neighborhood: neighborhood.slug })}`, 303);
    },
  );

  // A kiosk's queued answers: JSON in, JSON out, for the device's sender (static/js/kiosk-queue.js). A refusal (4xx)
  // tells the device to stop sending that answer; 429 and 503 to try again later.
  app.post(
    '/surveys/:slug/kiosk-answers',
    {
      bodyLimit: 64 * 1024,
      preHandler: sameSiteOnly(app),
      // A kiosk sends a day's queue at once, maybe after its cookie expired: a valid pass is exempt, like the device.
      config: {
        rateLimit: {
          max: app.config.SUBMIT_RATE_LIMIT,
          timeWindow: '1 minute',
          hook: 'preHandler',
          allowList: async (request: FastifyRequest) => {
            const pass = isRecord(request.body) ? request.body.pass : undefined;
            return typeof pass === 'string' && pass.length <= 500 && (await openQueuePass(app, pass)) !== null;
          },
        },
      },
    },
    async (request, reply) => {
      const { slug } = slugParams.parse(request.params);
      const found = await surveys.findWithQuestions(slug);
      if (!found) return reply.code(404).send({ error: 'Not Found', message: 'There is no survey at this address.' });
      const { survey, questions } = found;
      const body = queuedAnswer.safeParse(request.body);
      if (!body.success) {
        const field = body.error.issues[0]?.path.join('.') || 'body';
        return reply.code(400).send({ error: 'Bad Request', message: `${field}: ${body.error.issues[0]?.message ?? 'invalid'}`, field });
      }
      const { answerId, day, pass, fields } = body.data;
      const link = await openQueuePass(app, pass);
      const problem =
        !link || link.survey !== survey.slug
          ? 'The kiosk link of this answer is unknown or was revoked: it cannot be accepted.'
          : queuedDayProblem(day, link.day, dateIn(app.config.TIME_ZONE));
      if (problem) return reply.code(422).send({ error: 'Unprocessable Entity', message: problem });
      if (survey.status !== 'open') return reply.code(409).send({ error: 'Conflict', message: 'This survey is closed.' });
      // A filled honeypot is a bot: answer as if accepted, store nothing.
      const honeypot = fields[HONEYPOT_FIELD];
      if (honeypot !== undefined && honeypot !== '') return reply.send({ saved: true });

      const neighborhoods = await surveys.activeNeighborhoods();
      const parsed = formSchemaFor(survey, questions, neighborhoods).safeParse(fields);
      if (!parsed.success) {
        const errors = [...fieldErrors(parsed.error)].map(([field, key]) => [field, translate('en', key)]);
        const [[field, message]] = errors;
        return reply.code(400).send({ error: 'Bad Request', message: `${field}: ${message}`, field, fields: Object.fromEntries(errors) });
      }
      const meta = submissionMeta.parse(fields);
      const event = await knownEvent(meta.event);
      const neighborhood = neighborhoods.find((n) => n.slug === parsed.data.neighborhood)!;
      await surveys.submit(
        {
          surveyId: survey.id,
          neighborhoodId: neighborhood.id,
          submittedOn: day,
          channel: 'kiosk',
          eventId: event ?? null,
          language: surveyLanguage(request, survey, meta.lang),
          answers: answersFromForm(parsed.data, questions),
        },
        questions,
        { answerId },
      );
      // The same answer for the first sending and for every replay, as the answer's own id is all the device knows of it.
      return reply.send({ saved: true });
    },
  );

  app.get('/surveys/:slug/thanks', async (request, reply) => {
    const { slug } = slugParams.parse(request.params);
    const query = formQuery.parse(request.query);
    const found = await surveys.findWithQuestions(slug);
    if (!found) return notFound(request, reply);
    const lang = surveyLanguage(request, found.survey, query.lang);
    const channel = await channelFor(request, query.channel);
    const again = `/surveys/${slug}?${queryOf({ lang, channel, neighborhood: query.neighborhood, event: query.event })}`;
    setPageLanguage(request, reply, lang);
    const kiosk = channel === 'kiosk';
    if (kiosk) reply.locals = { ...reply.locals, kiosk, refreshUrl: again, refreshSeconds: 8 };
    return reply.view('survey/thanks', {
      title: `${translate(lang, 'thanks.title')} – ${localize(found.survey.title, lang)}`,
      surveyTitle: localize(found.survey.title, lang),
      again,
      kiosk,
      results: found.survey.published && !kiosk ? `/public/${slug}?${queryOf({ lang })}` : undefined,
    });
  });
}
