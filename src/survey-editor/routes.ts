import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { confirmFirst } from '../admin/confirm.js';
import { actorId, childParams, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { type Question, type Survey, questionKinds } from '../db/schema.js';
import { catalogs, localize } from '../i18n/index.js';
import { flash, setPageLanguage } from '../plugins/request-context.js';
import { surveyFormView } from '../survey/form-view.js';
import { type QuestionFields, missingTexts, refusedChanges, removalRefusal } from './rules.js';
import { createSurveyEditor } from './queries.js';
import { duplicateBody, localized, moveBody, newSurveyBody, parseQuestion, questionFormValues, surveyDetailsBody, surveyLanguages } from './schemas.js';

const languageName = (code: string) => catalogs[code]?.name ?? code;
const previewQuery = z.object({ lang: z.string().max(10).optional().catch(undefined) });
// The embed code generator: the frame's language and height (its width always follows the host page's column).
const embedQuery = z.object({
  embed_lang: z.string().max(10).optional().catch(undefined),
  embed_height: z.coerce.number().int().min(300).max(3000).catch(720),
});
const embedHeights = [560, 720, 900];

export async function surveyEditorRoutes(app: FastifyInstance) {
  const editor = createSurveyEditor(app.store);
  const admin = { preHandler: requireRole('admin') };
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };
  const findQuestion = async (survey: Survey, params: unknown) => {
    const parsed = childParams.safeParse(params);
    return parsed.success ? (await editor.questions(survey.id)).find((q) => q.id === parsed.data.childId) : undefined;
  };

  /** Checkboxes for every language, and text inputs for those offered (or just ticked). */
  function languageFields(values: Record<string, unknown>, offered: readonly string[]) {
    const ticked = [values.languages ?? []].flat();
    const shown = surveyLanguages.filter((l) => offered.includes(l) || ticked.includes(l));
    return {
      languageChoices: surveyLanguages.map((code) => ({ code, name: languageName(code), checked: ticked.includes(code) })),
      texts: shown.map((code) => ({ code, name: languageName(code), titleName: `title_${code}`, introName: `intro_${code}` })),
    };
  }

  function surveyValues(survey: Survey): Record<string, unknown> {
    const values: Record<string, unknown> = { languages: survey.languages };
    for (const [l, v] of Object.entries(survey.title)) values[`title_${l}`] = v;
    for (const [l, v] of Object.entries(survey.intro)) values[`intro_${l}`] = v;
    return values;
  }

  async function renderSurvey(
    reply: FastifyReply,
    status: number,
    survey: Survey,
    data: { values?: Record<string, unknown>; errors?: FormErrors; duplicateSlug?: string; embed?: z.infer<typeof embedQuery> } = {},
  ) {
    const surveyQuestions = await editor.questions(survey.id);
    const values = data.values ?? surveyValues(survey);
    const embed = data.embed ?? embedQuery.parse({});
    const embedLang = embed.embed_lang && survey.languages.includes(embed.embed_lang) ? embed.embed_lang : survey.languages[0];
    const embedTitle = localize(survey.title, embedLang);
    return reply.code(status).view('survey-editor/survey', {
      title: `Survey ${survey.slug}`,
      survey,
      surveyTitle: localize(survey.title, 'en'),
      isOpen: survey.status === 'open',
      responses: await editor.responseCount(survey.id),
      questions: surveyQuestions.map((q, i) => ({
        ...q,
        number: i + 1,
        promptText: localize(q.prompt, survey.languages[0] ?? 'en'),
        first: i === 0,
        last: i === surveyQuestions.length - 1,
      })),
      missing: missingTexts(survey, surveyQuestions),
      previews: survey.languages.map((code) => ({ code, name: languageName(code) })),
      embedCode: `<iframe src="${app.config.PUBLIC_URL}/public/${survey.slug}/embed?lang=${embedLang}" title="${embedTitle.replace(/"/g, '&quot;')}" width="100%" height="${embed.embed_height}" style="border:0;max-width:100%" loading="lazy"></iframe>`,
      embedLanguages: survey.languages.map((code) => ({ code, name: languageName(code), selected: code === embedLang })),
      embedHeights: [...new Set([...embedHeights, embed.embed_height])].sort((a, b) => a - b).map((h) => ({ value: h, selected: h === embed.embed_height })),
      embedOrigins: app.config.EMBED_ORIGINS,
      values,
      duplicateSlug: data.duplicateSlug ?? `${survey.slug}-copy`,
      ...languageFields(values, survey.languages),
      ...(data.errors ?? noErrors),
      csrfToken: reply.generateCsrf(),
    });
  }

  function renderNew(reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FormErrors) {
    return reply
      .code(status)
      .view('survey-editor/new', { title: 'New survey', values, ...languageFields(values, surveyLanguages), ...errors, csrfToken: reply.generateCsrf() });
  }

  function renderQuestion(
    reply: FastifyReply,
    status: number,
    survey: Survey,
    question: Question | undefined,
    values: Record<string, unknown>,
    errors: FormErrors,
  ) {
    const rows = Math.max(Number(values.option_rows) || 0, 1);
    const texts = survey.languages.map((code) => ({ code, name: languageName(code) }));
    return reply.code(status).view('survey-editor/question', {
      title: question ? `Edit question ${question.code}` : 'New question',
      survey,
      question,
      action: question ? `/admin/surveys/${survey.id}/questions/${question.id}` : `/admin/surveys/${survey.id}/questions`,
      values,
      kinds: questionKinds.map((k) => ({ value: k, checked: values.kind === k })),
      scales: [
        { value: '0-10', label: '0 to 10' },
        { value: 'agree5', label: '5-point agreement (1 to 5)' },
      ].map((s) => ({ ...s, checked: values.scale === s.value })),
      flags: [
        ['required', 'Required: residents must answer it'],
        ['allow_dont_know', 'Offer "don\'t know" (scale questions)'],
        ['reverse_scored', 'Reverse scored: a high point means low trust (scale questions)'],
        ['in_trust_score', 'Part of the headline trust score (scale questions)'],
      ].map(([name, label]) => ({ name, label, checked: values[name] !== undefined && values[name] !== '' })),
      texts: texts.map((l) => ({ ...l, prompt: `prompt_${l.code}`, minLabel: `min_label_${l.code}`, maxLabel: `max_label_${l.code}` })),
      optionRows: Array.from({ length: rows }, (_, i) => ({
        index: i,
        number: i + 1,
        valueName: `option_value_${i}`,
        value: values[`option_value_${i}`],
        error: errors.errors[`option_value_${i}`],
        labels: texts.map((l) => ({
          code: l.code,
          languageName: l.name,
          fieldName: `option_label_${i}_${l.code}`,
          value: values[`option_label_${i}_${l.code}`],
        })),
      })),
      optionRowCount: rows,
      ...errors,
      csrfToken: reply.generateCsrf(),
    });
  }

  const withSurvey =
    (handler: (request: FastifyRequest, reply: FastifyReply, survey: Survey) => unknown) => async (request: FastifyRequest, reply: FastifyReply) => {
      const survey = await recordFrom(request.params, editor.find);
      return survey ? handler(request, reply, survey) : notFound(reply);
    };
  const missingErrors = (missing: ReturnType<typeof missingTexts>, intro: string): FormErrors => ({
    errors: {},
    errorList: [{ href: '#missing', message: intro }, ...missing],
    hasErrors: true,
  });

  app.get('/admin/surveys', admin, async (request, reply) =>
    reply.view('survey-editor/list', {
      title: 'Surveys',
      surveys: (await editor.list()).map(({ survey, responses }) => ({ ...survey, surveyTitle: localize(survey.title, 'en'), responses })),
    }),
  );

  app.get('/admin/surveys/new', admin, async (request, reply) => renderNew(reply, 200, { languages: ['en'] }, noErrors));

  app.post('/admin/surveys', adminPost, async (request, reply) => {
    const values = keptValues(request.body);
    const parsed = newSurveyBody.safeParse(values);
    if (!parsed.success) return renderNew(reply, 400, values, zodFormErrors(parsed.error));
    if (await editor.slugTaken(parsed.data.slug)) return renderNew(reply, 400, values, formErrors({ slug: 'Another survey already uses this slug.' }));
    const { languages } = parsed.data;
    const created = await editor.create(actorId(request), parsed.data.slug, {
      languages,
      title: localized(parsed.data, 'title', languages),
      intro: localized(parsed.data, 'intro', languages),
    });
    flash(request, `Survey ${parsed.data.slug} created as a draft.`);
    return reply.redirect(`/admin/surveys/${created.id}`, 303);
  });

  app.get(
    '/admin/surveys/:id',
    admin,
    withSurvey((request, reply, survey) => renderSurvey(reply, 200, survey, { embed: embedQuery.parse(request.query) })),
  );

  app.post(
    '/admin/surveys/:id',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const values = keptValues(request.body);
      const parsed = surveyDetailsBody.safeParse(values);
      if (!parsed.success) return renderSurvey(reply, 400, survey, { values, errors: zodFormErrors(parsed.error) });
      const { languages } = parsed.data;
      const details = { languages, title: localized(parsed.data, 'title', languages), intro: localized(parsed.data, 'intro', languages) };
      if (survey.status === 'open') {
        const missing = missingTexts({ ...survey, ...details }, await editor.questions(survey.id));
        if (missing.length > 0)
          return renderSurvey(reply, 400, survey, {
            values,
            errors: missingErrors(missing, 'The survey is open, so every text must be written in each of its languages. Missing:'),
          });
      }
      await editor.update(actorId(request), survey.id, details);
      flash(request, 'Survey texts saved.');
      return reply.redirect(`/admin/surveys/${survey.id}`, 303);
    }),
  );

  app.post(
    '/admin/surveys/:id/open',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const missing = missingTexts(survey, await editor.questions(survey.id));
      if (missing.length > 0)
        return renderSurvey(reply, 400, survey, {
          errors: missingErrors(missing, 'The survey cannot open until every text is written in each of its languages. Missing:'),
        });
      await editor.setStatus(actorId(request), survey.id, 'open');
      flash(request, 'The survey is open: residents can answer it now.');
      return reply.redirect(`/admin/surveys/${survey.id}`, 303);
    }),
  );

  app.post(
    '/admin/surveys/:id/close',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const asked = confirmFirst(request, reply, {
        heading: `Close the survey ${survey.slug}?`,
        detail: 'Residents can no longer answer it: its QR codes, posters and kiosk links say it is closed until it is opened again.',
        button: 'Close survey',
        cancel: `/admin/surveys/${survey.id}`,
      });
      if (asked) return asked;
      await editor.setStatus(actorId(request), survey.id, 'closed');
      flash(request, 'The survey is closed.');
      return reply.redirect(`/admin/surveys/${survey.id}`, 303);
    }),
  );

  for (const [action, published] of [
    ['publish', true],
    ['unpublish', false],
  ] as const) {
    app.post(
      `/admin/surveys/:id/${action}`,
      adminPost,
      withSurvey(async (request, reply, survey) => {
        const asked = confirmFirst(request, reply, {
          heading: published ? `Publish the results of ${survey.slug}?` : `Unpublish the results of ${survey.slug}?`,
          detail: published
            ? 'Anyone can then see its protected totals at /public, and other sites may embed them.'
            : 'Its public page, open data and embeds stop working for everyone, including sites that link to them.',
          button: published ? 'Publish results' : 'Unpublish results',
          cancel: `/admin/surveys/${survey.id}`,
        });
        if (asked) return asked;
        await editor.setPublished(actorId(request), survey.id, published);
        flash(request, published ? 'The results are published.' : 'The results are no longer public.');
        return reply.redirect(`/admin/surveys/${survey.id}`, 303);
      }),
    );
  }

  app.post(
    '/admin/surveys/:id/duplicate',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const values = keptValues(request.body);
      const parsed = duplicateBody.safeParse(values);
      const slugError = !parsed.success
        ? parsed.error.issues[0].message
        : (await editor.slugTaken(parsed.data.slug))
          ? 'Another survey already uses this slug.'
          : undefined;
      if (slugError || !parsed.success)
        return renderSurvey(reply, 400, survey, {
          errors: formErrors({ slug: slugError! }),
          duplicateSlug: typeof values.slug === 'string' ? values.slug : '',
        });
      const copy = await editor.duplicate(actorId(request), survey.id, parsed.data.slug);
      flash(request, `Copied as the draft ${parsed.data.slug}.`);
      return reply.redirect(`/admin/surveys/${copy.id}`, 303);
    }),
  );

  app.get(
    '/admin/surveys/:id/preview',
    admin,
    withSurvey(async (request, reply, survey) => {
      const wanted = previewQuery.parse(request.query).lang;
      const lang = wanted && survey.languages.includes(wanted) ? wanted : survey.languages[0];
      const form = surveyFormView(
        survey,
        await editor.questions(survey.id),
        await app.surveys.activeNeighborhoods(),
        lang,
        { values: {}, errors: new Map() },
        { changeNeighborhood: true },
      );
      setPageLanguage(request, reply, lang);
      return reply.view('survey-editor/preview', {
        title: `Preview: ${form.title}`,
        form,
        survey,
        previews: survey.languages.map((code) => ({ code, name: languageName(code), current: code === lang })),
      });
    }),
  );

  /** Validates a question form and the rules for surveys with responses; errors re-render the form. */
  async function saveQuestion(request: FastifyRequest, reply: FastifyReply, survey: Survey, question: Question | undefined) {
    const values = keptValues(request.body);
    const parsed = parseQuestion(values, survey.languages);
    if (!parsed.ok) return renderQuestion(reply, 400, survey, question, values, formErrors(parsed.errors));
    const fields: QuestionFields = parsed.fields;
    const others = (await editor.questions(survey.id)).filter((q) => q.id !== question?.id);
    if (others.some((q) => q.code === fields.code))
      return renderQuestion(reply, 400, survey, question, values, formErrors({ code: 'Another question of this survey has this code.' }));
    const refused = refusedChanges(question ?? null, fields, {
      surveyHasResponses: (await editor.responseCount(survey.id)) > 0,
      optionValuesInUse: question ? await editor.optionValuesInUse(question.id) : [],
    });
    if (Object.keys(refused).length > 0) return renderQuestion(reply, 409, survey, question, values, formErrors(refused));
    if (survey.status === 'open') {
      const candidate = { ...(question ?? { id: 0, surveyId: survey.id, position: Infinity }), ...fields } as Question;
      const missing = missingTexts(
        survey,
        [...others, candidate].sort((a, b) => a.position - b.position),
      );
      if (missing.length > 0)
        return renderQuestion(
          reply,
          400,
          survey,
          question,
          values,
          missingErrors(
            missing.map((m) => ({ ...m, href: m.href.replace(/^.*#/, '#') })),
            'The survey is open, so every text must be written in each of its languages. Missing:',
          ),
        );
    }
    if (question) await editor.updateQuestion(actorId(request), question, fields);
    else await editor.addQuestion(actorId(request), survey.id, fields);
    flash(request, question ? `Question ${fields.code} saved.` : `Question ${fields.code} added.`);
    return reply.redirect(`/admin/surveys/${survey.id}#questions`, 303);
  }

  app.get(
    '/admin/surveys/:id/questions/new',
    admin,
    withSurvey((request, reply, survey) => renderQuestion(reply, 200, survey, undefined, questionFormValues(undefined), noErrors)),
  );
  app.post(
    '/admin/surveys/:id/questions',
    adminPost,
    withSurvey((request, reply, survey) => saveQuestion(request, reply, survey, undefined)),
  );

  app.get(
    '/admin/surveys/:id/questions/:childId/edit',
    admin,
    withSurvey(async (request, reply, survey) => {
      const question = await findQuestion(survey, request.params);
      return question ? renderQuestion(reply, 200, survey, question, questionFormValues(question), noErrors) : notFound(reply);
    }),
  );
  app.post(
    '/admin/surveys/:id/questions/:childId',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const question = await findQuestion(survey, request.params);
      return question ? saveQuestion(request, reply, survey, question) : notFound(reply);
    }),
  );

  app.post(
    '/admin/surveys/:id/questions/:childId/move',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const question = await findQuestion(survey, request.params);
      if (!question) return notFound(reply);
      const parsed = moveBody.safeParse(request.body ?? {});
      if (!parsed.success) return renderSurvey(reply, 400, survey, { errors: formErrors({ [`question-${question.id}`]: 'Move the question up or down.' }) });
      await editor.moveQuestion(actorId(request), question, parsed.data.direction);
      flash(request, `Question ${question.code} moved ${parsed.data.direction}.`);
      return reply.redirect(`/admin/surveys/${survey.id}#question-${question.id}`, 303);
    }),
  );

  app.post(
    '/admin/surveys/:id/questions/:childId/remove',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      const question = await findQuestion(survey, request.params);
      if (!question) return notFound(reply);
      const refusal = removalRefusal(question, {
        surveyHasResponses: (await editor.responseCount(survey.id)) > 0,
        answers: await editor.answerCount(question.id),
      });
      if (refusal) return renderSurvey(reply, 409, survey, { errors: formErrors({ [`question-${question.id}`]: refusal }) });
      await editor.removeQuestion(actorId(request), question);
      flash(request, `Question ${question.code} removed.`);
      return reply.redirect(`/admin/surveys/${survey.id}#questions`, 303);
    }),
  );
}
