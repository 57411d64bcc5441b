import type { Db } from '../db/sqlite/client.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  /** The staff member who acted (null for the system or the command line). */
  userId: number | null;
  /** What was done, e.g. "event.create", "survey.open", "export.wide". */
  action: string;
  /** The kind of record, e.g. "event", "survey", "response". */
  entity: string;
  entityId?: string | number | null;
  /** What changed or which filters were used; never answers or anything identifying a resident. */
  details?: Record<string, unknown>;
}

/** Records a staff action. Pass the transaction's `tx` so the entry commits (or rolls back) with the change. */
export function recordAudit(db: Pick<Db, 'insert'>, entry: AuditEntry): void {
  db.insert(auditLog)
    .values({
      userId: entry.userId,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      details: entry.details ?? null,
    })
    .run();
}
