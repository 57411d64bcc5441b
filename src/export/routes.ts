import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { actorId } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { dateIn } from '../dates.js';
import { channels } from '../db/schema.js';
import { localize } from '../i18n/index.js';
import { exportFilters } from './options.js';
import { createExportRepository } from './queries.js';

export async function exportRoutes(app: FastifyInstance) {
  const exports = createExportRepository(app.store);
  const admin = { preHandler: requireRole('admin') };

  async function renderForm(reply: FastifyReply, status: number, values: Record<string, string | string[]>, errors: FormErrors) {
    const chosen = new Set([values.neighborhood ?? []].flat());
    const choices = await exports.choices();
    return reply.code(status).view('export/form', {
      title: 'Export answers',
      surveys: choices.surveys.map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), status: s.status, selected: s.slug === values.survey })),
      neighborhoods: choices.neighborhoods.map((n) => ({ slug: n.slug, name: n.name, retired: n.retired, checked: chosen.has(n.slug) })),
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
    const resolved = await exports.resolve(parsed.data);
    if (!resolved.ok) return renderForm(reply, 400, values, formErrors(resolved.errors));
    const { request: exportRequest } = resolved;
    await exports.recordExport(actorId(request), exportRequest, parsed.data);
    const fileName = `${exportRequest.survey.slug}-${parsed.data.format}-${dateIn(app.config.TIME_ZONE)}.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .header('cache-control', 'no-store')
      .send(exports.csv(exportRequest));
  });
}
