import type { FastifyInstance, FastifyReply } from 'fastify';
import { type FormErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { confirmFirst } from '../admin/confirm.js';
import { actorId, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { flash } from '../plugins/request-context.js';
import { createQuarantineAdmin, decisionBody, type Decision } from './queries.js';

export async function quarantineRoutes(app: FastifyInstance) {
  const quarantine = createQuarantineAdmin(app.store, app.config.TIME_ZONE);
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };

  async function render(reply: FastifyReply, status: number, failed?: { id: number; decision: Decision; errors: FormErrors }) {
    const errors = failed?.errors ?? noErrors;
    const field = failed && `field-${failed.id}-${failed.decision}-reason`;
    return reply.code(status).view('quarantine/index', {
      title: 'Held answers',
      bursts: (await quarantine.held()).map((b) => ({
        ...b,
        identical: b.reason === 'identical-answers',
        countError: failed?.id === b.id && failed.decision === 'count' ? errors.errors.reason : undefined,
        voidError: failed?.id === b.id && failed.decision === 'void' ? errors.errors.reason : undefined,
      })),
      ...errors,
      errorList: errors.errorList.map((e) => ({ ...e, href: `#${field}` })),
      csrfToken: reply.generateCsrf(),
    });
  }

  app.get('/admin/quarantine', { preHandler: requireRole('admin') }, async (_request, reply) => render(reply, 200));

  for (const decision of ['count', 'void'] as const) {
    app.post(`/admin/quarantine/:id/${decision}`, adminPost, async (request, reply) => {
      const burst = await recordFrom(request.params, quarantine.burst);
      if (!burst) return notFound(reply);
      const parsed = decisionBody.safeParse(keptValues(request.body));
      if (!parsed.success) return render(reply, 400, { id: burst.id, decision, errors: zodFormErrors(parsed.error) });
      const asked = confirmFirst(request, reply, {
        heading: `${decision === 'count' ? 'Count' : 'Void'} the ${burst.responses} held answers of ${burst.neighborhood} (${burst.firstDay} to ${burst.lastDay})?`,
        detail:
          decision === 'count'
            ? 'They join every result, export and public figure at once. Each can still be voided on its own later.'
            : 'They stay out of every result, export and public figure, kept in the database as voided with your reason.',
        button: decision === 'count' ? 'Count these answers' : 'Void these answers',
        cancel: '/admin/quarantine',
      });
      if (asked) return asked;
      const changed = await quarantine.decide(actorId(request), burst.id, decision, parsed.data.reason);
      flash(request, `${changed} held answers of ${burst.neighborhood} ${decision === 'count' ? 'counted' : 'voided'}.`);
      return reply.redirect('/admin/quarantine', 303);
    });
  }
}
