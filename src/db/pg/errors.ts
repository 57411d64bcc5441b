import { StorageError } from '../store.js';

// SQLSTATE classes and codes that mean the server cannot take the write now: connection exceptions (08), insufficient
// resources (53: disk full, out of memory, too many connections), operator intervention (57P: shutdown, restart),
// system errors (58: I/O), a read-only transaction (25006, a standby or default_transaction_read_only) and corruption.
const STORAGE_STATES = /^(08|53|57P|58|25006$|XX001$|XX002$)/;
// Node's socket errors when the server is down or unreachable.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);
// node-postgres's own errors for a lost or never-made connection (they carry no code).
const CLIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error and is not queryable|Cannot use a pool after calling end/i;

/** Whether an error (or its cause: Drizzle wraps driver errors) means PostgreSQL cannot take writes now. */
export function isPgStorageError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof StorageError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (STORAGE_STATES.test(code) || NETWORK_CODES.has(code))) return true;
    if (CLIENT_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isPgStorageError)) return true;
  }
  return false;
}
