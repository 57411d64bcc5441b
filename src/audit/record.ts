import type { Db, Tables } from '../db/store.js';

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

const row = (entry: AuditEntry) => ({
  userId: entry.userId,
  action: entry.action,
  entity: entry.entity,
  entityId: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
  details: entry.details ?? null,
});

/** Records a staff action inside the transaction `tx`, so the entry commits (or rolls back) with the change. */
export async function audit(tx: Db, { auditLog }: Pick<Tables, 'auditLog'>, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values(row(entry));
}
