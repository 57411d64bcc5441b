import fastifyMultipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { type FormErrors, blank, formErrors, noErrors } from '../admin/forms.js';
import { actorId } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { dateIn } from '../dates.js';
import { csvStringifier } from '../export/csv.js';
import { localize } from '../i18n/index.js';
import { checkFile, createImportStore } from './store.js';
import { type ImportProblem, columnCodes, exampleRow, templateHeader } from './validate.js';

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

const uploadedFile = z.object({ fileName: z.string().max(255), content: z.instanceof(Buffer) });
const importBody = z.object({
  survey: z.preprocess(blank, z.string({ error: 'Choose the survey these responses answer.' }).max(200)),
  file: z.preprocess((v) => (uploadedFile.safeParse(v).success && (v as { content: Buffer }).content.length > 0 ? v : undefined), uploadedFile.optional()),
});
const batchQuery = z.object({ batch: z.coerce.number().int().positive().optional().catch(undefined) });
const templateQuery = z.object({ survey: z.string().max(200).optional() });

/** Paper and kiosk responses from CSV; multipart is registered here only, so no other route accepts uploads. */
export async function importRoutes(app: FastifyInstance) {
  const imports = createImportStore(app.store, app.surveys, app.config.TIME_ZONE);
  await imports.discardUnfinished();
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10 },
    async onFile(part) {
      part.value = { fileName: part.filename, content: await part.toBuffer() };
    },
  });

  async function render(
    reply: FastifyReply,
    status: number,
    data: { survey?: string; errors?: FormErrors; problems?: ImportProblem[]; more?: number; imported?: { id: number; rowCount: number } },
  ) {
    return reply.code(status).view('import/form', {
      title: 'Import paper responses',
      surveys: (await imports.surveys()).map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), status: s.status, selected: s.slug === data.survey })),
      maxMegabytes: MAX_IMPORT_BYTES / 1024 / 1024,
      ...(data.errors ?? noErrors),
      problems: data.problems,
      more: data.more,
      imported: data.imported,
      csrfToken: reply.generateCsrf(),
    });
  }

  // A file over the limit fails while the body is read, before the handler: admins get the form back with the reason.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code !== 'FST_REQ_FILE_TOO_LARGE' || request.staffUser?.role !== 'admin') throw error;
    return render(reply, 413, {
      errors: formErrors({ file: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB: split it into smaller files and import each.` }),
    });
  });

  app.get('/admin/import', { preHandler: requireRole('admin') }, async (request, reply) => {
    const { batch } = batchQuery.parse(request.query);
    const imported = batch === undefined ? undefined : await imports.imported(batch);
    return render(reply, 200, { imported });
  });

  app.get('/admin/import/template.csv', { preHandler: requireRole('admin') }, async (request, reply) => {
    const slug = templateQuery.parse(request.query).survey;
    const found = slug === undefined ? undefined : await app.surveys.findWithQuestions(slug);
    if (!found) return reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no such survey.' });
    const { survey, questions } = found;
    const csv = csvStringifier();
    csv.write(templateHeader(questions));
    // Import skips rows starting with #: the example shows an allowed value in every column and can stay in the file.
    csv.end(
      exampleRow(
        survey,
        questions,
        (await imports.neighborhoods()).filter((n) => !n.retired),
      ),
    );
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${survey.slug}-import-template.csv"`)
      .send(csv);
  });

  app.get('/admin/import/codes.csv', { preHandler: requireRole('admin') }, async (request, reply) => {
    const slug = templateQuery.parse(request.query).survey;
    const found = slug === undefined ? undefined : await app.surveys.findWithQuestions(slug);
    if (!found) return reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no such survey.' });
    const { survey, questions } = found;
    const csv = csvStringifier();
    csv.write(['column', 'code', 'meaning']);
    for (const c of columnCodes(survey, questions, await imports.neighborhoods())) csv.write([c.column, c.code, c.meaning]);
    csv.end();
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${survey.slug}-import-codes.csv"`)
      .send(csv);
  });

  app.post('/admin/import', { preHandler: [requireRole('admin'), app.csrfProtection] }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = importBody.safeParse(body);
    const slug = typeof body.survey === 'string' ? body.survey : undefined;
    const found = parsed.success ? await app.surveys.findWithQuestions(parsed.data.survey) : undefined;
    if (!parsed.success || !found || !parsed.data.file) {
      const errors: [string, string][] = parsed.success ? [] : parsed.error.issues.map((i) => [String(i.path[0]), i.message]);
      if (parsed.success && !found) errors.push(['survey', `There is no survey "${parsed.data.survey}".`]);
      if (!parsed.success || !parsed.data.file) errors.push(['file', 'Choose a CSV file to upload.']);
      return render(reply, 400, { survey: slug, errors: formErrors(errors) });
    }
    // The whole file is in; checking and writing a large one can outlast the idle-connection timeout.
    // (Fastify's inject hands routes a mock socket without timers.)
    if (typeof request.raw.socket.setTimeout === 'function') request.raw.socket.setTimeout(0);
    const { survey, questions } = found;
    const checked = await checkFile(parsed.data.file.content, {
      survey,
      questions,
      neighborhoods: await imports.neighborhoods(),
      today: dateIn(app.config.TIME_ZONE),
    });
    if (!checked.ok)
      return render(reply, 400, {
        survey: slug,
        problems: checked.problems,
        more: checked.more,
        errors: formErrors({ file: 'Nothing was imported: correct the rows listed below and upload the file again.' }),
      });

    const fileName = parsed.data.file.fileName;
    const batchId = await imports.store({
      surveyId: survey.id,
      questions,
      fileName,
      createdBy: actorId(request),
      file: checked,
      audit: (id) => ({
        userId: actorId(request),
        action: 'import.create',
        entity: 'import_batch',
        entityId: id,
        details: { survey: survey.slug, fileName, rows: checked.count },
      }),
    });
    return reply.redirect(`/admin/import?batch=${batchId}`, 303);
  });
}
