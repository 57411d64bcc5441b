import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FormErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { confirmFirst } from '../admin/confirm.js';
import { actorId, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { flash } from '../plugins/request-context.js';
import { createVoidAdmin, lookupQuery, voidBody } from './queries.js';

export async function voidRoutes(app: FastifyInstance) {
  const voids = createVoidAdmin(app.store, app.config.TIME_ZONE);
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };

  async function render(
    reply: FastifyReply,
    status: number,
    data: { id?: number; values?: Record<string, unknown>; errors?: FormErrors; batchErrorId?: number },
  ) {
    const errors = data.errors ?? noErrors;
    const response = data.id === undefined ? undefined : await voids.response(data.id);
    const batches = (await voids.batches()).map((b) => ({ ...b, reasonError: b.id === data.batchErrorId ? errors.errors.reason : undefined }));
    return reply.code(status).view('voids/index', {
      title: 'Void responses',
      lookupId: data.id,
      notFound: data.id !== undefined && !response,
      response,
      batches,
      values: data.values ?? {},
      ...(data.batchErrorId === undefined
        ? errors
        : { ...errors, errorList: errors.errorList.map((e) => ({ ...e, href: `#field-batch-${data.batchErrorId}-reason` })) }),
      csrfToken: reply.generateCsrf(),
    });
  }

  app.get('/admin/responses', { preHandler: requireRole('admin') }, async (request, reply) => {
    const { id } = lookupQuery.parse(request.query);
    return render(reply, id !== undefined && !(await voids.response(id)) ? 404 : 200, { id });
  });

  app.post('/admin/responses/:id/void', adminPost, async (request, reply) => {
    const response = await recordFrom(request.params, voids.response);
    if (!response) return notFound(reply);
    const values = keptValues(request.body);
    const parsed = voidBody.safeParse(values);
    if (!parsed.success) return render(reply, 400, { id: response.id, values, errors: zodFormErrors(parsed.error) });
    const asked = confirmFirst(request, reply, {
      heading: `Void response ${response.id}?`,
      detail: 'It leaves every result, export and public figure at once. It can be restored later from this page.',
      button: 'Void response',
      cancel: `/admin/responses?id=${response.id}`,
    });
    if (asked) return asked;
    await voids.setResponseVoided(actorId(request), response.id, true, parsed.data.reason);
    flash(request, `Response ${response.id} voided.`);
    return reply.redirect(`/admin/responses?id=${response.id}`, 303);
  });

  app.post('/admin/responses/:id/restore', adminPost, async (request, reply) => {
    const response = await recordFrom(request.params, voids.response);
    if (!response) return notFound(reply);
    if (response.held) {
      flash(request, `Response ${response.id} is held with its burst: count or void the whole burst under Held answers.`);
      return reply.redirect(`/admin/responses?id=${response.id}`, 303);
    }
    await voids.setResponseVoided(actorId(request), response.id, false, null);
    flash(request, `Response ${response.id} restored.`);
    return reply.redirect(`/admin/responses?id=${response.id}`, 303);
  });

  app.post('/admin/import/batches/:id/void', adminPost, async (request, reply) => {
    const batch = await recordFrom(request.params, voids.batch);
    if (!batch) return notFound(reply);
    const values = keptValues(request.body);
    const parsed = voidBody.safeParse(values);
    if (!parsed.success) return render(reply, 400, { values, errors: zodFormErrors(parsed.error), batchErrorId: batch.id });
    const asked = confirmFirst(request, reply, {
      heading: `Void every response of import ${batch.id}?`,
      detail: 'They leave every result, export and public figure at once. The import can be restored later from this page.',
      button: 'Void import',
      cancel: '/admin/responses',
    });
    if (asked) return asked;
    const changed = await voids.setBatchVoided(actorId(request), batch.id, true, parsed.data.reason);
    flash(request, `Import ${batch.id}: ${changed} responses voided.`);
    return reply.redirect('/admin/responses', 303);
  });

  app.post('/admin/import/batches/:id/restore', adminPost, async (request, reply) => {
    const batch = await recordFrom(request.params, voids.batch);
    if (!batch) return notFound(reply);
    const changed = await voids.setBatchVoided(actorId(request), batch.id, false, null);
    flash(request, `Import ${batch.id}: ${changed} responses restored.`);
    return reply.redirect('/admin/responses', 303);
  });
}
