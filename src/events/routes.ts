import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { confirmFirst } from '../admin/confirm.js';
import { requireRole } from '../auth/guards.js';
import { eventKinds, type Event } from '../db/schema.js';
import { isWeighted, measureOptions, sampleNote, sampleOptions, sampleWeighted, weightingNote, zodFieldErrors, type FieldErrors } from '../results/filters.js';
import { catalogs, defaultLanguage, localize } from '../i18n/index.js';
import { flash } from '../plugins/request-context.js';
import { badQuery, chartScripts } from '../results/routes.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import { dateIn } from '../dates.js';
import { impactsTask } from '../results/figures.js';
import { impactMonthOptions } from './impact.js';
import { verdictView } from './verdict-view.js';
import { apiErrorSchema, documented, staffErrors } from '../plugins/openapi.js';
import { impactSchema } from './api-schemas.js';
import { eventFormSchema, eventKindLabels, eventParams, titleField, titleLanguages, impactQuerySchema } from './schemas.js';

type FormValues = Record<string, unknown>;

const fieldOrder = [...titleLanguages.map(titleField), 'occurredOn', 'neighborhood', 'kind', 'description', 'link', 'isPublic'];

export async function eventRoutes(app: FastifyInstance) {
  const { events, results } = app;
  const staffOnly = requireRole('admin', 'liaison');
  const staffForm = { preHandler: [staffOnly, app.csrfProtection] };

  const notFound = (reply: FastifyReply) => reply.code(404).view('errors/error', { title: 'Not found', message: 'There is no event with this number.' });

  async function eventFromParams(request: FastifyRequest): Promise<Event | undefined> {
    const parsed = eventParams.safeParse(request.params);
    return parsed.success ? events.find(parsed.data.id) : undefined;
  }

  async function valuesOf(event: Event): Promise<FormValues> {
    const neighborhood = (await results.neighborhoods()).find((n) => n.id === event.neighborhoodId);
    return {
      ...event,
      ...Object.fromEntries(titleLanguages.map((lang) => [titleField(lang), event.title[lang] ?? ''])),
      neighborhood: neighborhood?.slug ?? '',
      description: event.description ?? '',
      link: event.link ?? '',
      isPublic: event.isPublic ? 'on' : undefined,
    };
  }

  async function renderForm(reply: FastifyReply, status: number, data: { action: string; heading: string; values: FormValues; errors?: FieldErrors }) {
    const errors = data.errors ?? {};
    const text = (key: string) => (typeof data.values[key] === 'string' ? data.values[key] : '');
    const errorList = fieldOrder.filter((f) => errors[f]).map((f) => ({ href: `#field-${f}`, message: errors[f] }));
    return reply.code(status).view('events/form', {
      title: data.heading,
      heading: data.heading,
      action: data.action,
      titles: titleLanguages.map((lang) => ({
        lang,
        name: titleField(lang),
        label: `Title in ${catalogs[lang].name}`,
        required: lang === defaultLanguage,
        value: text(titleField(lang)),
        error: errors[titleField(lang)],
      })),
      values: {
        occurredOn: text('occurredOn'),
        description: text('description'),
        link: text('link'),
        isPublic: data.values.isPublic === 'on',
      },
      neighborhoods: (await results.neighborhoods()).map((n) => ({ slug: n.slug, name: n.name, selected: n.slug === text('neighborhood') })),
      kinds: eventKinds.map((k) => ({ value: k, label: eventKindLabels[k], checked: k === text('kind') })),
      errors,
      errorList,
      hasErrors: errorList.length > 0,
    });
  }

  app.get('/events', { preHandler: staffOnly }, async (request, reply) => {
    const list = (await events.list()).map((e) => ({ ...e, title: localize(e.title, 'en'), kindLabel: eventKindLabels[e.kind] }));
    return reply.view('events/list', { title: 'Events', events: list, hasEvents: list.length > 0 });
  });

  app.get('/events/new', { preHandler: staffOnly }, async (request, reply) =>
    renderForm(reply, 200, { action: '/events/new', heading: 'Add an event', values: {} }),
  );

  app.post('/events/new', staffForm, async (request, reply) => {
    const body = (request.body ?? {}) as FormValues;
    const parsed = eventFormSchema(await results.neighborhoods()).safeParse(body);
    if (!parsed.success) return renderForm(reply, 400, { action: '/events/new', heading: 'Add an event', values: body, errors: zodFieldErrors(parsed.error) });
    const id = await events.create(parsed.data, request.staffUser!.id);
    flash(request, `Event “${localize(parsed.data.title, 'en')}” added.`);
    return reply.redirect(`/events/${id}`, 303);
  });

  app.get('/events/:id/edit', { preHandler: staffOnly }, async (request, reply) => {
    const event = await eventFromParams(request);
    if (!event) return notFound(reply);
    return renderForm(reply, 200, { action: `/events/${event.id}/edit`, heading: `Edit “${localize(event.title, 'en')}”`, values: await valuesOf(event) });
  });

  app.post('/events/:id/edit', staffForm, async (request, reply) => {
    const event = await eventFromParams(request);
    if (!event) return notFound(reply);
    const body = (request.body ?? {}) as FormValues;
    const parsed = eventFormSchema(await results.neighborhoods()).safeParse(body);
    if (!parsed.success) {
      return renderForm(reply, 400, {
        action: `/events/${event.id}/edit`,
        heading: `Edit “${localize(event.title, 'en')}”`,
        values: body,
        errors: zodFieldErrors(parsed.error),
      });
    }
    if (!(await events.update(event.id, parsed.data, request.staffUser!.id))) return notFound(reply);
    flash(request, `Event “${localize(parsed.data.title, 'en')}” saved.`);
    return reply.redirect(`/events/${event.id}`, 303);
  });

  app.post('/events/:id/delete', staffForm, async (request, reply) => {
    const event = await eventFromParams(request);
    if (!event) return notFound(reply);
    const asked = confirmFirst(request, reply, {
      heading: `Delete the event “${localize(event.title, 'en')}”?`,
      detail: 'It disappears from every results page, the public page and the impact figures. This cannot be undone.',
      button: 'Delete event',
      cancel: '/events',
    });
    if (asked) return asked;
    if (!(await events.remove(event.id, request.staffUser!.id))) return notFound(reply);
    flash(request, `Event “${localize(event.title, 'en')}” deleted.`);
    return reply.redirect('/events', 303);
  });

  /** Parses ?months=&measure=&survey= and computes the impact, or says which field is wrong. */
  async function impactFor(request: FastifyRequest, event: Event) {
    const rules = app.release.rulesFor(request);
    const parsed = impactQuerySchema.safeParse(request.query);
    if (!parsed.success) return { ok: false as const, errors: zodFieldErrors(parsed.error) };
    const slug = parsed.data.survey ?? (await results.surveys())[0]?.slug;
    const found = slug === undefined ? undefined : await app.surveys.findWithQuestions(slug);
    if (!found) return { ok: false as const, errors: { survey: 'no survey with this name' } };
    const measures = measureOptions(found.questions);
    const measure = parsed.data.measure ?? TRUST_MEASURE;
    if (!measures.some((m) => m.value === measure))
      return { ok: false as const, errors: { measure: `must be one of ${measures.map((m) => m.value).join(', ')}` } };
    const input = {
      event,
      survey: found.survey,
      measure,
      months: parsed.data.months,
      neighborhoods: await results.neighborhoods(),
      events: await events.list(),
      latest: app.release.latestDay(rules, dateIn(app.config.TIME_ZONE)),
      weighted: sampleWeighted(parsed.data.sample, isWeighted(parsed.data.weighting, await app.weighting.hasMargins(found.survey.id))),
      sample: parsed.data.sample,
    };
    const [impact] = await app.store.task(impactsTask, { inputs: [input], rules });
    return {
      ok: true as const,
      impact,
      measures,
      rules,
      weighting: weightingNote(request.url, request.query, input.weighted, input.sample === 'all' && (await app.weighting.hasMargins(found.survey.id))),
      sample: sampleNote(request.url, request.query, input.sample, impact.sample.left_out, new Map(input.neighborhoods.map((n) => [n.slug, n.name]))),
      sampleOptions: sampleOptions(input.sample),
    };
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
      const event = await events.find(parsed.data.id);
      if (!event) return reply.code(404).send({ error: 'Not Found', message: 'There is no event with this number.' });
      const result = await impactFor(request, event);
      if (!result.ok) return badQuery(reply, result.errors);
      return result.impact;
    },
  );

  app.get('/events/:id', { preHandler: staffOnly }, async (request, reply) => {
    const event = await eventFromParams(request);
    if (!event) return notFound(reply);
    const result = await impactFor(request, event);
    const channels = await events.responsesBroughtIn(event.id);
    const broughtIn = { total: channels.reduce((sum, c) => sum + c.n, 0), channels };
    const rules = app.release.rulesFor(request);
    const common = {
      title: localize(event.title, 'en'),
      event: { ...event, title: localize(event.title, 'en'), kindLabel: eventKindLabels[event.kind] },
      minGroupSize: rules.minGroupSize,
      minReliableSize: rules.minReliableSize,
      broughtIn,
    };
    if (!result.ok) {
      const errorList = Object.entries(result.errors).map(([field, message]) => ({ href: `#impact-${field}`, message: `${field}: ${message}` }));
      return reply.code(400).view('events/impact', {
        ...common,
        monthOptions: impactMonthOptions.map((w) => ({ value: w, label: w === 1 ? '1 month' : `${w} months`, selected: false })),
        errorList,
        hasErrors: true,
      });
    }
    const { impact, measures } = result;
    const home = (await results.neighborhoods()).find((n) => n.id === event.neighborhoodId);
    return reply.view('events/impact', {
      ...common,
      scripts: chartScripts,
      impact,
      weighting: result.weighting,
      sample: result.sample,
      sampleOptions: result.sampleOptions,
      home,
      monthOptions: impactMonthOptions.map((w) => ({ value: w, label: w === 1 ? '1 month' : `${w} months`, selected: w === impact.months })),
      verdict: verdictView(impact),
      measures: measures.map((m) => ({ ...m, selected: m.value === impact.measure })),
      measureLabel: measures.find((m) => m.value === impact.measure)!.label,
      monthlyTable: impact.monthly.buckets.map((b, i) => ({
        ...b,
        cell: impact.monthly.series[0].cells[i],
        eventMonth: b.start === impact.windows.eventMonth.from,
      })),
      chart: { impact },
    });
  });
}
