import { count, desc, eq, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/client.js';
import { auditLog, staffUsers } from '../db/schema.js';

export const AUDIT_PAGE_SIZE = 50;

/** The audit log newest first, one page at a time, with the email of whoever acted. */
export function createAuditLogReader({ db }: DatabaseHandle) {
  const page = db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      email: staffUsers.email,
      action: auditLog.action,
      entity: auditLog.entity,
      entityId: auditLog.entityId,
      details: auditLog.details,
    })
    .from(auditLog)
    .leftJoin(staffUsers, eq(staffUsers.id, auditLog.userId))
    .orderBy(desc(auditLog.id))
    .limit(AUDIT_PAGE_SIZE)
    .offset(sql.placeholder('offset'))
    .prepare();
  return {
    page: (pageNumber: number) => page.all({ offset: (pageNumber - 1) * AUDIT_PAGE_SIZE }),
    total: () => db.select({ n: count() }).from(auditLog).get()!.n,
  };
}
