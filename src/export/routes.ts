import { asc } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { actorId } from '../admin/params.js';
import { recordAudit } from '../audit/record.js';
import { requireRole } from '../auth/guards.js';
import { dateIn } from '../dates.js';
import { channels, neighborhoods, surveys } from '../db/schema.js';
import { localize } from '../i18n/index.js';
import { auditedFilters, exportFilters } from './options.js';
import { resolveExport } from './resolve.js';
import { exportCsvStream } from './stream.js';

export async function exportRoutes(app: FastifyInstance) {
  const { db } = app.database;
  const admin = { preHandler: requireRole('admin') };

  function renderForm(reply: FastifyReply, status: number, values: Record<string, string | string[]>, errors: FormErrors) {
    const chosen = new Set([values.neighborhood ?? []].flat());
    return reply.code(status).view('export/form', {
      title: 'Export answers',
      surveys: db
        .select()
        .from(surveys)
        .orderBy(asc(surveys.id))
        .all()
        .map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), status: s.status, selected: s.slug === values.survey })),
      neighborhoods: db
        .select()
        .from(neighborhoods)
        .orderBy(asc(neighborhoods.name))
        .all()
        .map((n) => ({ slug: n.slug, name: n.name, retired: n.retired, checked: chosen.has(n.slug) })),
      channels: channels.map((c) => ({ value: c, selected: c === values.channel })),
      long: values.format === 'long',
      bom: values.bom !== undefined,
      values,
      ...errors,
    });
  }

  app.get('/admin/export', admin, async (request, reply) => renderForm(reply, 200, keptValues(request.query), noErrors));

  // A GET so the browser downloads it directly; it changes nothing but the audit log, and still needs the CSRF token.
  app.get('/admin/export.csv', { preHandler: [requireRole('admin'), app.csrfProtection] }, async (request, reply) => {
    const values = keptValues(request.query);
    const parsed = exportFilters.safeParse(values);
    if (!parsed.success) return renderForm(reply, 400, values, zodFormErrors(parsed.error));
    const resolved = resolveExport(app.database, parsed.data);
    if (!resolved.ok) return renderForm(reply, 400, values, formErrors(resolved.errors));
    const { request: exportRequest } = resolved;
    recordAudit(db, {
      userId: actorId(request),
      action: `export.${parsed.data.format}`,
      entity: 'survey',
      entityId: exportRequest.survey.id,
      details: auditedFilters(parsed.data),
    });
    const fileName = `${exportRequest.survey.slug}-${parsed.data.format}-${dateIn(app.config.TIME_ZONE)}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .header('cache-control', 'no-store')
      .send(exportCsvStream(app.database.path, exportRequest));
  });
}
