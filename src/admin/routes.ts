import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/guards.js';
import { addDays, isIsoDate, startOfDayIn } from '../dates.js';
import { AUDIT_PAGE_SIZE, createAuditLogReader, type AuditFilter } from './audit-queries.js';

const optionalDate = z.preprocess((v) => (v === '' ? undefined : v), z.string().refine(isIsoDate).optional()).catch(undefined);
const auditQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  who: z.preprocess((v) => (v === '' ? undefined : v), z.union([z.literal('system'), z.coerce.number().int().positive()]).optional()).catch(undefined),
  action: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(100).optional()).catch(undefined),
  from: optionalDate,
  to: optionalDate,
});

/** Details as "key: value" pairs people can read, rather than JSON. */
const readableDetails = (details: Record<string, unknown> | null) =>
  Object.entries(details ?? {}).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));

export async function adminRoutes(app: FastifyInstance) {
  const audit = createAuditLogReader(app.store);
  const timeZone = app.config.TIME_ZONE;
  const localTime = new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'medium', timeStyle: 'medium' });

  app.get('/admin', { preHandler: requireRole('admin') }, async (request, reply) => {
    return reply.view('admin/home', { title: 'Administration' });
  });

  app.get('/admin/audit', { preHandler: requireRole('admin') }, async (request, reply) => {
    const query = auditQuery.parse(request.query);
    // Days are the local calendar days of TIME_ZONE, as every time on the page is.
    const filter: AuditFilter = {
      who: query.who,
      action: query.action,
      from: query.from ? startOfDayIn(timeZone, query.from) : undefined,
      before: query.to ? startOfDayIn(timeZone, addDays(query.to, 1)) : undefined,
    };
    const total = await audit.total(filter);
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    const page = Math.min(query.page, pages);
    const entries = (await audit.page(page, filter)).map((e) => ({
      ...e,
      when: localTime.format(new Date(e.at)),
      who: e.email ?? 'system or command line',
      details: readableDetails(e.details),
    }));
    const filters = Object.entries({ who: query.who, action: query.action, from: query.from, to: query.to }).flatMap(([k, v]): [string, string][] =>
      v === undefined ? [] : [[k, String(v)]],
    );
    const pageLink = (n: number) => `/admin/audit?${new URLSearchParams([...filters, ['page', String(n)]])}`;
    return reply.view('admin/audit', {
      title: page > 1 ? `Audit log, page ${page}` : 'Audit log',
      timeZone,
      entries,
      total,
      page,
      pages,
      filtered: filters.length > 0,
      values: { from: query.from ?? '', to: query.to ?? '' },
      people: [
        ...(await audit.people()).map((p) => ({ value: String(p.id), label: p.email, selected: query.who === p.id })),
        { value: 'system', label: 'system or command line', selected: query.who === 'system' },
      ],
      actions: (await audit.actions()).map((a) => ({ value: a, selected: a === query.action })),
      newer: page > 1 ? pageLink(page - 1) : undefined,
      older: page < pages ? pageLink(page + 1) : undefined,
    });
  });
}
