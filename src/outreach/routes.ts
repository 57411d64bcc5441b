import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/guards.js';
import { addDays, dateIn, isIsoDate } from '../dates.js';
import { localize, translate } from '../i18n/index.js';
import { KIOSK_COOKIE, kioskCookieValue, linkTarget, shortLink, surveyLink, type LinkTarget } from './links.js';
import { outreachNeedsTask } from '../results/figures.js';
import { createOutreachRepository } from './queries.js';

const KIOSK_DAYS_AHEAD = 60;

const outreachQuery = z.object({
  survey: z.string().max(200).optional(),
  neighborhood: z.string().max(200).optional(),
  event: z.union([z.literal(''), z.coerce.number().int().positive()]).optional(),
  kioskDay: z.string().max(10).optional(),
});

const shortParams = z.object({ survey: z.string().max(200), neighborhood: z.string().max(200), event: z.coerce.number().int().positive().optional() });

/** QR codes, short links, posters and kiosk links that bring residents to a survey from events and outreach. */
export async function outreachRoutes(app: FastifyInstance) {
  const queries = createOutreachRepository(app.store);
  const { results } = app;
  const staffOnly = { preHandler: requireRole('admin', 'liaison') };

  /** The target if its survey, neighborhood and event all exist; an error message naming the field otherwise. */
  async function resolveTarget(
    input: unknown,
  ): Promise<{ target: LinkTarget; names: Awaited<ReturnType<typeof queries.describe>> } | { field: string; message: string }> {
    const parsed = linkTarget.safeParse(input);
    if (!parsed.success) {
      const field = String(parsed.error.issues[0].path[0]);
      return { field, message: `Choose a ${field}.` };
    }
    const names = await queries.describe(parsed.data);
    if (!names.survey) return { field: 'survey', message: 'That survey does not exist.' };
    if (!names.neighborhood) return { field: 'neighborhood', message: 'That neighborhood does not exist or is retired.' };
    if (parsed.data.event && !names.event) return { field: 'event', message: 'That event does not exist.' };
    return { target: parsed.data, names };
  }

  async function sendQr(request: FastifyRequest, reply: FastifyReply, type: 'svg' | 'png') {
    const resolved = await resolveTarget(request.query);
    if ('field' in resolved) return reply.code(404).send({ error: 'Not Found', message: resolved.message, field: resolved.field });
    const link = surveyLink(app.config.PUBLIC_URL, resolved.target);
    const name = `qr-${resolved.target.survey}-${resolved.target.neighborhood}${resolved.target.event ? `-event-${resolved.target.event}` : ''}.${type}`;
    reply.header('content-disposition', `inline; filename="${name}"`).header('cache-control', 'private, max-age=300');
    // Loaded when first asked for: its 57 modules would otherwise load with every server (and every test process).
    const { default: QRCode } = await import('qrcode');
    if (type === 'svg') return reply.type('image/svg+xml').send(await QRCode.toString(link, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }));
    return reply.type('image/png').send(await QRCode.toBuffer(link, { type: 'png', margin: 2, scale: 10, errorCorrectionLevel: 'M' }));
  }

  /** The outreach page for a query; `issued` is a kiosk link just made (its token is shown this once). */
  async function renderOutreach(request: FastifyRequest, reply: FastifyReply, input: unknown, issued?: { link: string; day: string }) {
    const parsed = outreachQuery.safeParse(input);
    const query = parsed.success ? parsed.data : {};
    const today = dateIn(app.config.TIME_ZONE);
    const choices = await queries.choices();
    const wanted = query.survey !== undefined;
    const resolved = wanted ? await resolveTarget({ ...query, event: query.event || undefined }) : undefined;
    const kioskDay = query.kioskDay && isIsoDate(query.kioskDay) ? query.kioskDay : today;
    const kioskDayError =
      kioskDay < today || kioskDay > addDays(today, KIOSK_DAYS_AHEAD) ? `Choose a day from today to ${KIOSK_DAYS_AHEAD} days ahead.` : undefined;
    const result =
      resolved && 'target' in resolved
        ? (() => {
            const params = new URLSearchParams({
              survey: resolved.target.survey,
              neighborhood: resolved.target.neighborhood,
              ...(resolved.target.event ? { event: String(resolved.target.event) } : {}),
            });
            return {
              link: surveyLink(app.config.PUBLIC_URL, resolved.target),
              short: shortLink(app.config.PUBLIC_URL, resolved.target),
              svg: `/outreach/qr.svg?${params}`,
              png: `/outreach/qr.png?${params}`,
              poster: `/outreach/poster?${params}`,
              canIssueKiosk: !kioskDayError,
              target: resolved.target,
              issued,
              kioskDay,
              names: resolved.names,
            };
          })()
        : undefined;
    const error = resolved && 'field' in resolved ? resolved : undefined;
    const isAdmin = request.staffUser?.role === 'admin';
    const rules = app.release.rulesFor(request);
    const surveys = await results.surveys();
    const needSurvey = surveys.find((s) => s.slug === query.survey) ?? surveys[0];
    const needs = needSurvey
      ? await app.store.task(outreachNeedsTask, { survey: needSurvey.id, rules, neighborhoods: [...(await results.neighborhoods())], today })
      : [];
    return reply.code(error || kioskDayError ? 400 : 200).view('outreach/index', {
      title: 'QR codes and kiosk links',
      needs,
      minReliableSize: rules.minReliableSize,
      minGroupSize: rules.minGroupSize,
      moreThan: rules.minReliableSize - rules.minGroupSize,
      surveys: choices.surveys.map((s) => ({ ...s, selected: s.slug === query.survey })),
      neighborhoods: choices.neighborhoods.map((n) => ({ ...n, selected: n.slug === query.neighborhood })),
      events: choices.events.map((e) => ({ ...e, selected: e.id === query.event })),
      kioskDay,
      today,
      error,
      kioskDayError,
      hasErrors: !!(error || kioskDayError),
      errorList: [
        ...(error ? [{ href: `#${error.field}`, message: error.message }] : []),
        ...(kioskDayError ? [{ href: '#kioskDay', message: kioskDayError }] : []),
      ],
      result,
      kioskLinks: (await app.kioskLinks.listFrom(today)).map((k) => ({ ...k, event: k.event && localize(k.event, 'en'), canRevoke: isAdmin && !k.revokedAt })),
      csrfToken: reply.generateCsrf(),
    });
  }

  app.get('/outreach', staffOnly, async (request, reply) => renderOutreach(request, reply, request.query));

  // Issuing is a POST: every kiosk link is recorded (only its hash) with who made it, and can be revoked.
  app.post('/outreach/kiosk-links', { preHandler: [requireRole('admin', 'liaison'), app.csrfProtection] }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = outreachQuery.safeParse(body);
    const resolved = parsed.success ? await resolveTarget({ ...parsed.data, event: parsed.data.event || undefined }) : undefined;
    const today = dateIn(app.config.TIME_ZONE);
    const day = parsed.success && parsed.data.kioskDay && isIsoDate(parsed.data.kioskDay) ? parsed.data.kioskDay : today;
    if (!resolved || 'field' in resolved || !resolved.names.ids || day < today || day > addDays(today, KIOSK_DAYS_AHEAD)) {
      return renderOutreach(request, reply, body);
    }
    const { ids } = resolved.names;
    const userId = request.staffUser!.id;
    const { token, hash } = await app.kioskLinks.issue(ids, day, userId, {
      survey: resolved.target.survey,
      neighborhood: resolved.target.neighborhood,
      event: resolved.target.event ?? null,
      validOn: day,
    });
    request.log.info({ link: hash.slice(0, 12) }, 'kiosk link issued');
    return renderOutreach(request, reply, body, { link: `${app.config.PUBLIC_URL}/kiosk/${token}`, day });
  });

  app.post('/admin/kiosk-links/:hash/revoke', { preHandler: [requireRole('admin'), app.csrfProtection] }, async (request, reply) => {
    const { hash } = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/) }).parse(request.params);
    const userId = request.staffUser!.id;
    const revoked = await app.kioskLinks.revoke(hash, userId);
    if (!revoked) return reply.code(404).view('errors/error', { title: 'No such kiosk link', message: 'It does not exist or was already revoked.' });
    return reply.redirect('/outreach', 303);
  });

  app.get('/outreach/qr.svg', staffOnly, (request, reply) => sendQr(request, reply, 'svg'));
  app.get('/outreach/qr.png', staffOnly, (request, reply) => sendQr(request, reply, 'png'));

  app.get('/outreach/poster', staffOnly, async (request, reply) => {
    const resolved = await resolveTarget(request.query);
    if ('field' in resolved) return reply.code(404).view('errors/error', { title: 'Nothing to print', message: resolved.message });
    const params = new URLSearchParams(request.query as Record<string, string>);
    return reply.view('outreach/poster', {
      title: 'Poster',
      names: resolved.names,
      qr: `/outreach/qr.svg?${params}`,
      short: shortLink(app.config.PUBLIC_URL, resolved.target),
      invitations: ['en', 'es'].map((lang) => ({
        lang,
        survey: resolved.names.surveyTitles?.[lang as 'en' | 'es'],
        heading: translate(lang, 'poster.heading'),
        body: translate(lang, 'poster.body', { neighborhood: resolved.names.neighborhood! }),
        scan: translate(lang, 'poster.scan'),
      })),
    });
  });

  const shortHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = shortParams.safeParse(request.params);
    const resolved = parsed.success ? await resolveTarget(parsed.data) : undefined;
    if (!resolved || 'field' in resolved) {
      return reply.code(404).view('errors/error', { title: translate(request.lang, 'notFound.title'), message: translate(request.lang, 'notFound.body') });
    }
    return reply.redirect(surveyLink('', resolved.target), 302);
  };
  app.get('/s/:survey/:neighborhood', shortHandler);
  app.get('/s/:survey/:neighborhood/:event', shortHandler);

  app.get('/kiosk/:token', async (request, reply) => {
    const { token } = z.object({ token: z.string().max(2000) }).parse(request.params);
    const target = await app.kioskLinks.open(token, dateIn(app.config.TIME_ZONE));
    if (!target || 'field' in (await resolveTarget(target))) {
      return reply.code(404).view('errors/error', {
        title: 'This kiosk link is not valid today',
        message: 'Kiosk links work only on the day they were made for, until staff revoke them. Ask a staff member for today’s link.',
      });
    }
    reply.setCookie(KIOSK_COOKIE, kioskCookieValue(app, target.validOn, target.hash), {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: app.config.PUBLIC_URL.startsWith('https:'),
      maxAge: 24 * 3600,
    });
    const params = new URLSearchParams({ neighborhood: target.neighborhood, channel: 'kiosk', ...(target.event ? { event: String(target.event) } : {}) });
    return reply.redirect(`/surveys/${encodeURIComponent(target.survey)}?${params}`, 303);
  });
}
