import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FormErrors, formErrors, keptValues, noErrors } from '../admin/forms.js';
import { actorId, childParams, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import type { Survey, SurveyTheme } from '../db/schema.js';
import { catalogs, localize } from '../i18n/index.js';
import { themesOf } from '../results/themes.js';
import { createSurveyEditor } from '../survey-editor/queries.js';
import { createThemeRepository } from './queries.js';
import { parseTheme, themeFormValues, tryQuery } from './schemas.js';

const languageName = (code: string) => catalogs[code]?.name ?? code;

/** Admin pages for the themes a survey's "number one issue" answers are counted into. */
export async function themeRoutes(app: FastifyInstance) {
  const editor = createSurveyEditor(app.store);
  const repository = createThemeRepository(app.store);
  const admin = { preHandler: requireRole('admin') };
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };
  const listUrl = (survey: Survey) => `/admin/surveys/${survey.id}/themes`;

  const withSurvey =
    (handler: (request: FastifyRequest, reply: FastifyReply, survey: Survey) => unknown) => async (request: FastifyRequest, reply: FastifyReply) => {
      const survey = await recordFrom(request.params, editor.find);
      return survey ? handler(request, reply, survey) : notFound(reply);
    };
  const withTheme = (handler: (request: FastifyRequest, reply: FastifyReply, survey: Survey, theme: SurveyTheme) => unknown) =>
    withSurvey(async (request, reply, survey) => {
      const parsed = childParams.safeParse(request.params);
      const theme = parsed.success ? await repository.find(survey.id, parsed.data.childId) : undefined;
      return theme ? handler(request, reply, survey, theme) : notFound(reply);
    });

  async function renderList(request: FastifyRequest, reply: FastifyReply, survey: Survey) {
    const definitions = await repository.definitions(survey.id);
    const answer = tryQuery.parse(request.query ?? {}).answer;
    const matched = answer ? new Set(themesOf(answer, definitions)) : new Set<number>();
    const first = survey.languages[0] ?? 'en';
    return reply.view('themes/list', {
      title: `Themes: ${survey.slug}`,
      survey,
      surveyTitle: localize(survey.title, 'en'),
      themes: definitions.map((t) => ({
        ...t,
        name: localize(t.label, first),
        languages: Object.entries(t.keywords)
          .filter(([, list]) => list.length > 0)
          .map(([code, list]) => ({ name: languageName(code), label: t.label[code], keywords: list.join(', ') })),
      })),
      tried: answer ? { answer, themes: definitions.filter((t) => matched.has(t.id)).map((t) => localize(t.label, first)) } : undefined,
      csrfToken: reply.generateCsrf(),
    });
  }

  function renderForm(
    reply: FastifyReply,
    status: number,
    survey: Survey,
    theme: SurveyTheme | undefined,
    values: Record<string, unknown>,
    errors: FormErrors,
  ) {
    return reply.code(status).view('themes/form', {
      title: theme ? `Edit theme ${theme.code}` : 'New theme',
      survey,
      theme,
      action: theme ? `${listUrl(survey)}/${theme.id}` : listUrl(survey),
      values,
      languages: survey.languages.map((code) => ({
        code,
        labelField: `label_${code}`,
        labelText: `Name (${languageName(code)})`,
        keywordsField: `keywords_${code}`,
        keywordsText: `Keywords and phrases (${languageName(code)})`,
      })),
      ...errors,
      csrfToken: reply.generateCsrf(),
    });
  }

  /** Validates the theme form (its code unique in the survey); errors re-render it with the values typed. */
  async function save(request: FastifyRequest, reply: FastifyReply, survey: Survey, theme: SurveyTheme | undefined) {
    const values = keptValues(request.body);
    const parsed = parseTheme(values, survey.languages);
    if (!parsed.ok) return renderForm(reply, 400, survey, theme, values, parsed.errors);
    if ((await repository.definitions(survey.id)).some((t) => t.code === parsed.fields.code && t.id !== theme?.id))
      return renderForm(reply, 400, survey, theme, values, formErrors({ code: 'Another theme of this survey has this code.' }));
    if (theme) await repository.update(actorId(request), theme, parsed.fields);
    else await repository.create(actorId(request), survey.id, parsed.fields);
    return reply.redirect(listUrl(survey), 303);
  }

  app.get(
    '/admin/surveys/:id/themes',
    admin,
    withSurvey((request, reply, survey) => renderList(request, reply, survey)),
  );
  app.get(
    '/admin/surveys/:id/themes/new',
    admin,
    withSurvey((request, reply, survey) => renderForm(reply, 200, survey, undefined, {}, noErrors)),
  );
  app.post(
    '/admin/surveys/:id/themes',
    adminPost,
    withSurvey((request, reply, survey) => save(request, reply, survey, undefined)),
  );
  app.post(
    '/admin/surveys/:id/themes/suggested',
    adminPost,
    withSurvey(async (request, reply, survey) => {
      await repository.addSuggested(actorId(request), survey.id);
      return reply.redirect(listUrl(survey), 303);
    }),
  );
  app.get(
    '/admin/surveys/:id/themes/:childId/edit',
    admin,
    withTheme((request, reply, survey, theme) => renderForm(reply, 200, survey, theme, themeFormValues(theme), noErrors)),
  );
  app.post(
    '/admin/surveys/:id/themes/:childId',
    adminPost,
    withTheme((request, reply, survey, theme) => save(request, reply, survey, theme)),
  );
  app.post(
    '/admin/surveys/:id/themes/:childId/remove',
    adminPost,
    withTheme(async (request, reply, survey, theme) => {
      await repository.remove(actorId(request), theme);
      return reply.redirect(listUrl(survey), 303);
    }),
  );
}
