import fastifyMultipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type FormErrors, blank, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { actorId, notFound } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import type { Neighborhood, PopulationMargin, Question, Survey } from '../db/schema.js';
import { csvStringifier } from '../export/csv.js';
import { localize } from '../i18n/index.js';
import { flash } from '../plugins/request-context.js';
import { MARGIN_COLUMNS, type MarginProblem, checkMarginsCsv, countField, formRows, marginFormSchema, marginQuestions, templateRows } from './schemas.js';

const MAX_MARGINS_BYTES = 1024 * 1024;

const surveyQuery = z.object({ survey: z.string().max(200).optional().catch(undefined) });
const editParams = z.object({ survey: z.string().max(200), neighborhood: z.string().max(200) });
const uploadedFile = z.object({ fileName: z.string().max(255), content: z.instanceof(Buffer) });
const uploadBody = z.object({
  survey: z.preprocess(blank, z.string({ error: 'Choose the survey these margins are for.' }).max(200)),
  file: z.preprocess((v) => (uploadedFile.safeParse(v).success && (v as { content: Buffer }).content.length > 0 ? v : undefined), uploadedFile.optional()),
});

const percent = (count: number | null, total: number) => (count === null || total === 0 ? '' : `${((100 * count) / total).toFixed(1)}%`);

/** Each option's count and share of the question's counted total (options without a count are left out of the total). */
function questionView(q: Question, margins: readonly PopulationMargin[]) {
  const countOf = (option: string) => margins.find((m) => m.questionCode === q.code && m.optionValue === option)?.count ?? null;
  const total = (q.options ?? []).reduce((sum, o) => sum + (countOf(o.value) ?? 0), 0);
  return {
    code: q.code,
    prompt: localize(q.prompt, 'en'),
    total,
    options: (q.options ?? []).map((o) => ({
      value: o.value,
      label: localize(o.label, 'en'),
      count: countOf(o.value),
      share: percent(countOf(o.value), total),
    })),
  };
}

/** Population margins (census counts per neighborhood) for weighting: a page per survey, an edit form per neighborhood, a CSV upload. */
export async function marginRoutes(app: FastifyInstance) {
  const { margins } = app;
  const admin = { preHandler: requireRole('admin') };
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };
  // Encapsulated here, as for imports: the margins upload is the only other route that takes files.
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_MARGINS_BYTES, files: 1, fields: 5 },
    async onFile(part) {
      part.value = { fileName: part.filename, content: await part.toBuffer() };
    },
  });

  async function surveyFor(slug: string | undefined) {
    const slugs = await margins.surveys();
    const chosen = slugs.find((s) => s.slug === slug) ?? (slug === undefined ? slugs[0] : undefined);
    const found = chosen && (await app.surveys.findWithQuestions(chosen.slug));
    return found && { survey: found.survey, questions: marginQuestions(found.questions), surveys: slugs };
  }

  async function renderList(
    reply: FastifyReply,
    status: number,
    data: { survey: Survey; questions: Question[]; surveys: Survey[]; errors?: FormErrors; problems?: MarginProblem[]; more?: number },
  ) {
    const stored = await margins.forSurvey(data.survey.id);
    const neighborhoods = (await margins.neighborhoods()).map((n) => {
      const mine = stored.filter((m) => m.neighborhoodId === n.id);
      const sources = [...new Set(mine.map((m) => `${m.source}, ${m.year}`))];
      return {
        name: n.name,
        slug: n.slug,
        retired: n.retired,
        hasMargins: mine.length > 0,
        sources: sources.join('; '),
        questions: mine.length > 0 ? data.questions.map((q) => questionView(q, mine)) : [],
      };
    });
    return reply.code(status).view('margins/index', {
      title: 'Population margins',
      survey: { slug: data.survey.slug, title: localize(data.survey.title, 'en') },
      surveys: data.surveys.map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), selected: s.id === data.survey.id })),
      hasQuestions: data.questions.length > 0,
      questionCodes: data.questions.map((q) => q.code).join(', '),
      neighborhoods,
      missing: neighborhoods.filter((n) => !n.hasMargins && !n.retired),
      maxKilobytes: MAX_MARGINS_BYTES / 1024,
      ...(data.errors ?? noErrors),
      problems: data.problems,
      more: data.more,
      csrfToken: reply.generateCsrf(),
    });
  }

  function renderEdit(
    reply: FastifyReply,
    status: number,
    data: { survey: Survey; questions: Question[]; neighborhood: Neighborhood; values: Record<string, unknown>; errors: FormErrors },
  ) {
    return reply.code(status).view('margins/edit', {
      title: `Population margins for ${data.neighborhood.name}`,
      survey: { slug: data.survey.slug, title: localize(data.survey.title, 'en') },
      neighborhood: data.neighborhood,
      questions: data.questions.map((q) => ({
        code: q.code,
        prompt: localize(q.prompt, 'en'),
        options: (q.options ?? []).map((o) => {
          const name = countField(q.code, o.value);
          return { name, label: localize(o.label, 'en'), value: data.values[name], error: data.errors.errors[name] };
        }),
      })),
      values: data.values,
      ...data.errors,
      csrfToken: reply.generateCsrf(),
    });
  }

  // A file over the limit fails while the body is read, before the handler: admins get the page back with the reason.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.code !== 'FST_REQ_FILE_TOO_LARGE' || request.staffUser?.role !== 'admin') throw error;
    const found = (await surveyFor(undefined))!;
    return renderList(reply, 413, { ...found, errors: formErrors({ file: `The file is larger than ${MAX_MARGINS_BYTES / 1024} KB.` }) });
  });

  app.get('/admin/margins', admin, async (request, reply) => {
    const found = await surveyFor(surveyQuery.parse(request.query).survey);
    if (!found) return notFound(reply);
    return renderList(reply, 200, found);
  });

  async function editTarget(params: unknown) {
    const parsed = editParams.safeParse(params);
    if (!parsed.success) return undefined;
    const found = await surveyFor(parsed.data.survey);
    const neighborhood = (await margins.neighborhoods()).find((n) => n.slug === parsed.data.neighborhood);
    return found && found.survey.slug === parsed.data.survey && neighborhood && found.questions.length > 0 ? { ...found, neighborhood } : undefined;
  }

  app.get('/admin/margins/:survey/:neighborhood', admin, async (request, reply) => {
    const target = await editTarget(request.params);
    if (!target) return notFound(reply);
    const stored = await margins.forSurvey(target.survey.id, target.neighborhood.id);
    const values: Record<string, string> = { source: stored[0]?.source ?? '', year: stored[0]?.year.toString() ?? '' };
    for (const m of stored) values[countField(m.questionCode, m.optionValue)] = m.count?.toString() ?? '';
    return renderEdit(reply, 200, { ...target, values, errors: noErrors });
  });

  app.post('/admin/margins/:survey/:neighborhood', adminPost, async (request, reply) => {
    const target = await editTarget(request.params);
    if (!target) return notFound(reply);
    const values = keptValues(request.body);
    const parsed = marginFormSchema(target.questions).safeParse(values);
    if (!parsed.success) return renderEdit(reply, 400, { ...target, values, errors: zodFormErrors(parsed.error) });
    await margins.replace(actorId(request), target.survey.id, formRows(target.questions, target.neighborhood.id, parsed.data), 'form');
    flash(request, `Margins for ${target.neighborhood.name} saved.`);
    return reply.redirect(`/admin/margins?survey=${encodeURIComponent(target.survey.slug)}`, 303);
  });

  app.get('/admin/margins/template.csv', admin, async (request, reply) => {
    const slug = surveyQuery.parse(request.query).survey;
    const found = slug === undefined ? undefined : await surveyFor(slug);
    if (!found) return notFound(reply);
    const neighborhoods = (await margins.neighborhoods()).filter((n) => !n.retired);
    const csv = csvStringifier();
    csv.write(MARGIN_COLUMNS);
    for (const row of templateRows(found.questions, neighborhoods, await margins.forSurvey(found.survey.id))) csv.write(row);
    csv.end();
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${found.survey.slug}-margins.csv"`)
      .send(csv);
  });

  app.post('/admin/margins/upload', adminPost, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = uploadBody.safeParse(body);
    const found = parsed.success ? await surveyFor(parsed.data.survey) : undefined;
    if (!parsed.success || !found || !parsed.data.file) {
      const errors: [string, string][] = parsed.success ? [] : parsed.error.issues.map((i) => [String(i.path[0]), i.message]);
      if (parsed.success && !found) errors.push(['survey', `There is no survey "${parsed.data.survey}".`]);
      if (!parsed.success || !parsed.data.file) errors.push(['file', 'Choose a CSV file to upload.']);
      return renderList(reply, 400, { ...(found ?? (await surveyFor(undefined))!), errors: formErrors(errors) });
    }
    const checked = checkMarginsCsv(parsed.data.file.content, found.questions, await margins.neighborhoods());
    if (!checked.ok)
      return renderList(reply, 400, {
        ...found,
        problems: checked.problems,
        more: checked.more,
        errors: formErrors({ file: 'Nothing was saved: correct the lines listed below and upload the file again.' }),
      });
    await margins.replace(actorId(request), found.survey.id, checked.rows, 'csv');
    flash(request, `Margins saved from ${parsed.data.file.fileName}: ${checked.rows.length} counts.`);
    return reply.redirect(`/admin/margins?survey=${encodeURIComponent(found.survey.slug)}`, 303);
  });
}
