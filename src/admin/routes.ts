import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../auth/guards.js';
import { AUDIT_PAGE_SIZE, createAuditLogReader } from './audit-queries.js';

const auditQuery = z.object({ page: z.coerce.number().int().min(1).max(1_000_000).catch(1) });

export async function adminRoutes(app: FastifyInstance) {
  const audit = createAuditLogReader(app.database);

  app.get('/admin', { preHandler: requireRole('admin') }, async (request, reply) => {
    return reply.view('admin/home', { title: 'Administration' });
  });

  app.get('/admin/audit', { preHandler: requireRole('admin') }, async (request, reply) => {
    const total = audit.total();
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    const page = Math.min(auditQuery.parse(request.query).page, pages);
    const entries = audit.page(page).map((e) => ({ ...e, who: e.email ?? 'system or command line', details: e.details ? JSON.stringify(e.details) : '' }));
    return reply.view('admin/audit', {
      title: page > 1 ? `Audit log, page ${page}` : 'Audit log',
      entries,
      total,
      page,
      pages,
      newer: page > 1 ? `/admin/audit?page=${page - 1}` : undefined,
      older: page < pages ? `/admin/audit?page=${page + 1}` : undefined,
    });
  });
}
