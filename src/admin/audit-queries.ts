import { and, asc, count, desc, eq, gte, isNull, lt, type SQL } from 'drizzle-orm';
import type { Store } from '../db/store.js';

export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilter {
  /** A staff member's id, or "system" for changes made from the command line. */
  who?: number | 'system';
  action?: string;
  /** UTC instants (ISO) bounding `at`: from inclusive, before exclusive. */
  from?: string;
  before?: string;
}

/** The audit log newest first, one page at a time, with the email of whoever acted; filtered by person, action and time. */
export function createAuditLogReader(store: Store) {
  const { auditLog, staffUsers } = store.tables;
  const where = (filter: AuditFilter) => {
    const conditions: SQL[] = [];
    if (filter.who === 'system') conditions.push(isNull(auditLog.userId));
    else if (filter.who !== undefined) conditions.push(eq(auditLog.userId, filter.who));
    if (filter.action) conditions.push(eq(auditLog.action, filter.action));
    if (filter.from) conditions.push(gte(auditLog.at, filter.from));
    if (filter.before) conditions.push(lt(auditLog.at, filter.before));
    return conditions.length > 0 ? and(...conditions) : undefined;
  };
  return {
    page: (pageNumber: number, filter: AuditFilter = {}) =>
      store.read((db) =>
        db
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
          .where(where(filter))
          .orderBy(desc(auditLog.id))
          .limit(AUDIT_PAGE_SIZE)
          .offset((pageNumber - 1) * AUDIT_PAGE_SIZE),
      ),
    total: (filter: AuditFilter = {}) => store.read(async (db) => (await db.select({ n: count() }).from(auditLog).where(where(filter)))[0].n),
    /** Every action recorded so far, for the filter's list. */
    actions: () =>
      store.read(async (db) => (await db.selectDistinct({ action: auditLog.action }).from(auditLog).orderBy(asc(auditLog.action))).map((r) => r.action)),
    people: () => store.read((db) => db.select({ id: staffUsers.id, email: staffUsers.email }).from(staffUsers).orderBy(asc(staffUsers.email))),
  };
}
