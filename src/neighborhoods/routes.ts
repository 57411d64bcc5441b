import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { actorId, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { flash } from '../plugins/request-context.js';
import type { Neighborhood } from '../db/schema.js';
import { createNeighborhoodAdmin, neighborhoodCreateBody, neighborhoodEditBody } from './queries.js';

export async function neighborhoodRoutes(app: FastifyInstance) {
  const neighborhoods = createNeighborhoodAdmin(app.store);
  const admin = { preHandler: requireRole('admin') };
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };

  async function renderList(reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FormErrors) {
    return reply
      .code(status)
      .view('neighborhoods/index', { title: 'Neighborhoods', neighborhoods: await neighborhoods.all(), values, ...errors, csrfToken: reply.generateCsrf() });
  }

  function renderEdit(reply: FastifyReply, status: number, neighborhood: Neighborhood, values: Record<string, unknown>, errors: FormErrors) {
    return reply
      .code(status)
      .view('neighborhoods/edit', { title: `Edit ${neighborhood.name}`, neighborhood, values, ...errors, csrfToken: reply.generateCsrf() });
  }

  app.get('/admin/neighborhoods', admin, async (request, reply) => renderList(reply, 200, {}, noErrors));

  app.post('/admin/neighborhoods', adminPost, async (request, reply) => {
    const values = keptValues(request.body);
    const parsed = neighborhoodCreateBody.safeParse(values);
    if (!parsed.success) return renderList(reply, 400, values, zodFormErrors(parsed.error));
    if (await neighborhoods.slugTaken(parsed.data.slug))
      return renderList(reply, 400, values, formErrors({ slug: 'Another neighborhood already uses this slug. Slugs never change, so choose another.' }));
    await neighborhoods.create(actorId(request), parsed.data);
    flash(request, `${parsed.data.name} added.`);
    return reply.redirect('/admin/neighborhoods', 303);
  });

  app.get('/admin/neighborhoods/:id/edit', admin, async (request, reply) => {
    const found = await recordFrom(request.params, neighborhoods.find);
    if (!found) return notFound(reply);
    return renderEdit(reply, 200, found, { name: found.name, population: found.population === null ? '' : String(found.population) }, noErrors);
  });

  app.post('/admin/neighborhoods/:id', adminPost, async (request, reply) => {
    const found = await recordFrom(request.params, neighborhoods.find);
    if (!found) return notFound(reply);
    const values = keptValues(request.body);
    const parsed = neighborhoodEditBody.safeParse(values);
    if (!parsed.success) return renderEdit(reply, 400, found, values, zodFormErrors(parsed.error));
    await neighborhoods.update(actorId(request), found.id, parsed.data);
    flash(request, `${parsed.data.name} saved.`);
    return reply.redirect('/admin/neighborhoods', 303);
  });

  for (const [action, retired] of [
    ['retire', true],
    ['unretire', false],
  ] as const) {
    app.post(`/admin/neighborhoods/:id/${action}`, adminPost, async (request, reply) => {
      const found = await recordFrom(request.params, neighborhoods.find);
      if (!found) return notFound(reply);
      await neighborhoods.setRetired(actorId(request), found.id, retired);
      flash(request, retired ? `${found.name} retired: it is no longer offered to residents.` : `${found.name} is offered to residents again.`);
      return reply.redirect('/admin/neighborhoods', 303);
    });
  }
}
