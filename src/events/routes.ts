import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireRole } from '../auth/guards.js';
import { eventKinds, type Event } from '../db/schema.js';
import { measureOptions, zodFieldErrors, type FieldErrors } from '../results/filters.js';
import { apiErrorSchema, documented, staffErrors } from '../plugins/openapi.js';
import { createResultsQueries } from '../results/queries.js';
import { badQuery, chartScripts } from '../results/routes.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import { impactSchema } from './api-schemas.js';
import { computeImpact, impactWeekOptions } from './impact.js';
import { createEventQueries } from './queries.js';
import { eventFormSchema, eventKindLabels, eventParams, impactQuerySchema } from './schemas.js';

type FormValues = Record<string, unknown>;

const fieldOrder = ['title', 'occurredOn', 'neighborhood', 'kind', 'description', 'link', 'isPublic'];

export async function eventRoutes(app: FastifyInstance) {
  const events = createEventQueries(app.database);
  const results = createResultsQueries(app.database);
  const rules = { minCellSize: app.config.MIN_CELL_SIZE, lowReliabilitySize: app.config.LOW_RELIABILITY_SIZE };
  const staffOnly = requireRole('admin', 'liaison');
  const staffForm = { preHandler: [staffOnly, app.csrfProtection] };

  const notFound = (reply: FastifyReply) => reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no event with this number.' });

  function eventFromParams(request: FastifyRequest): Event | undefined {
    const parsed = eventParams.safeParse(request.params);
    return parsed.success ? events.find(parsed.data.id) : undefined;
  }

  function valuesOf(event: Event): FormValues {
    const neighborhood = results.neighborhoods().find((n) => n.id === event.neighborhoodId);
    return {
      ...event,
      neighborhood: neighborhood?.slug ?? '',
      description: event.description ?? '',
      link: event.link ?? '',
      isPublic: event.isPublic ? 'on' : undefined,
    };
  }

  function renderForm(reply: FastifyReply, status: number, data: { action: string; heading: string; values: FormValues; errors?: FieldErrors }) {
    const errors = data.errors ?? {};
    const text = (key: string) => (typeof data.values[key] === 'string' ? data.values[key] : '');
    const errorList = fieldOrder.filter((f) => errors[f]).map((f) => ({ href: `#field-${f}`, message: errors[f] }));
    return reply.code(status).view('events/form', {
      title: data.heading,
      heading: data.heading,
      action: data.action,
      values: {
        title: text('title'),
        occurredOn: text('occurredOn'),
        description: text('description'),
        link: text('link'),
        isPublic: data.values.isPublic === 'on',
      },
      neighborhoods: results.neighborhoods().map((n) => ({ slug: n.slug, name: n.name, selected: n.slug === text('neighborhood') })),
      kinds: eventKinds.map((k) => ({ value: k, label: eventKindLabels[k], checked: k === text('kind') })),
      errors,
      errorList,
      hasErrors: errorList.length > 0,
    });
  }

  app.get('/events', { preHandler: staffOnly }, async (request, reply) => {
    const list = events.list().map((e) => ({ ...e, kindLabel: eventKindLabels[e.kind] }));
    return reply.view('events/list', { title: 'Events', events: list, hasEvents: list.length > 0 });
  });

  app.get('/events/new', { preHandler: staffOnly }, async (request, reply) =>
    renderForm(reply, 200, { action: '/events/new', heading: 'Add an event', values: {} }),
  );

  app.post('/events/new', staffForm, async (request, reply) => {
    const body = (request.body ?? {}) as FormValues;
    const parsed = eventFormSchema(results.neighborhoods()).safeParse(body);
    if (!parsed.success) return renderForm(reply, 400, { action: '/events/new', heading: 'Add an event', values: body, errors: zodFieldErrors(parsed.error) });
    const id = events.create(parsed.data, request.staffUser!.id);
    return reply.redirect(`/events/${id}`, 303);
  });

  app.get('/events/:id/edit', { preHandler: staffOnly }, async (request, reply) => {
    const event = eventFromParams(request);
    if (!event) return notFound(reply);
    return renderForm(reply, 200, { action: `/events/${event.id}/edit`, heading: `Edit “${event.title}”`, values: valuesOf(event) });
  });

  app.post('/events/:id/edit', staffForm, async (request, reply) => {
    const event = eventFromParams(request);
    if (!event) return notFound(reply);
    const body = (request.body ?? {}) as FormValues;
    const parsed = eventFormSchema(results.neighborhoods()).safeParse(body);
    if (!parsed.success) {
      return renderForm(reply, 400, {
        action: `/events/${event.id}/edit`,
        heading: `Edit “${event.title}”`,
        values: body,
        errors: zodFieldErrors(parsed.error),
      });
    }
    if (!events.update(event.id, parsed.data, request.staffUser!.id)) return notFound(reply);
    return reply.redirect(`/events/${event.id}`, 303);
  });

  app.post('/events/:id/delete', staffForm, async (request, reply) => {
    const event = eventFromParams(request);
    if (!event || !events.remove(event.id, request.staffUser!.id)) return notFound(reply);
    return reply.redirect('/events', 303);
  });

  /** Parses ?weeks=&measure=&survey= and computes the impact, or says which field is wrong. */
  function impactFor(request: FastifyRequest, event: Event) {
    const parsed = impactQuerySchema.safeParse(request.query);
    if (!parsed.success) return { ok: false as const, errors: zodFieldErrors(parsed.error) };
    const slug = parsed.data.survey ?? results.surveys()[0]?.slug;
    const found = slug === undefined ? undefined : app.surveys.findWithQuestions(slug);
    if (!found) return { ok: false as const, errors: { survey: 'no survey with this name' } };
    const measures = measureOptions(found.questions);
    const measure = parsed.data.measure ?? TRUST_MEASURE;
    if (!measures.some((m) => m.value === measure))
      return { ok: false as const, errors: { measure: `must be one of ${measures.map((m) => m.value).join(', ')}` } };
    const impact = computeImpact(results, rules, { event, survey: found.survey, measure, weeks: parsed.data.weeks, neighborhoods: results.neighborhoods() });
    return { ok: true as const, impact, measures };
  }

  app.get(
    '/api/events/:id/impact',
    {
      preHandler: staffOnly,
      ...documented({
        tags: ['events'],
        summary: "An event's impact: before and after means, their difference and the difference-in-differences",
        security: [{ staffSession: [] }],
        params: eventParams,
        querystring: impactQuerySchema,
        response: { 200: impactSchema, ...staffErrors, 404: apiErrorSchema },
      }),
    },
    async (request, reply) => {
      const parsed = eventParams.safeParse(request.params);
      if (!parsed.success) return badQuery(reply, { id: 'must be a positive whole number' });
      const event = events.find(parsed.data.id);
      if (!event) return reply.code(404).send({ error: 'Not Found', message: 'There is no event with this number.' });
      const result = impactFor(request, event);
      if (!result.ok) return badQuery(reply, result.errors);
      return result.impact;
    },
  );

  app.get('/events/:id', { preHandler: staffOnly }, async (request, reply) => {
    const event = eventFromParams(request);
    if (!event) return notFound(reply);
    const result = impactFor(request, event);
    const channels = events.responsesBroughtIn(event.id);
    const broughtIn = { total: channels.reduce((sum, c) => sum + c.n, 0), channels };
    const common = { title: event.title, event: { ...event, kindLabel: eventKindLabels[event.kind] }, minCellSize: rules.minCellSize, broughtIn };
    if (!result.ok) {
      const errorList = Object.entries(result.errors).map(([field, message]) => ({ href: `#impact-${field}`, message: `${field}: ${message}` }));
      return reply
        .code(400)
        .view('events/impact', { ...common, weekOptions: impactWeekOptions.map((w) => ({ value: w, selected: false })), errorList, hasErrors: true });
    }
    const { impact, measures } = result;
    const home = results.neighborhoods().find((n) => n.id === event.neighborhoodId);
    return reply.view('events/impact', {
      ...common,
      scripts: chartScripts,
      impact,
      home,
      weekOptions: impactWeekOptions.map((w) => ({ value: w, selected: w === impact.weeks })),
      measures: measures.map((m) => ({ ...m, selected: m.value === impact.measure })),
      measureLabel: measures.find((m) => m.value === impact.measure)!.label,
      weeklyTable: impact.weekly.buckets.map((b, i) => ({
        ...b,
        cell: impact.weekly.series[0].cells[i],
        eventWeek: b.start === impact.windows.eventWeek.from,
      })),
      chart: { impact },
    });
  });
}
