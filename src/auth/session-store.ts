import { and, eq, gt, lte } from 'drizzle-orm';
import type { Session } from 'fastify';
import { first, NO_CACHED_DATA, type Store } from '../db/store.js';
import '../types.js';

type Callback = (err?: unknown) => void;

/**
 * A rolling session is saved after every staff request only to push its expiry forward; a durable write per page
 * view costs an fsync and invalidates every read cache, so an unchanged session's expiry is moved at most this often.
 */
export const SESSION_TOUCH_INTERVAL_MS = 60 * 1000;

const withoutCookie = (data: string) => {
  const { cookie: _cookie, ...rest } = JSON.parse(data) as Record<string, unknown>;
  return JSON.stringify(rest);
};

/**
 * Server-side sessions in the database, so that staff sessions survive restarts, are shared by every app server and
 * can be revoked per user. @fastify/session calls back; the work is async.
 */
export class DatabaseSessionStore {
  constructor(
    private readonly store: Store,
    private readonly defaultMaxAgeMs: number,
  ) {}

  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void {
    const { sessions } = this.store.tables;
    this.store
      .read((db) =>
        first(
          db
            .select({ data: sessions.data })
            .from(sessions)
            .where(and(eq(sessions.id, sessionId), gt(sessions.expiresAt, Date.now()))),
        ),
      )
      .then((row) => callback(null, row ? (JSON.parse(row.data) as Session) : null), callback);
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    const { sessions } = this.store.tables;
    this.store
      .transaction(async (tx) => {
        await tx.delete(sessions).where(eq(sessions.id, sessionId));
      }, NO_CACHED_DATA)
      .then(() => callback(), callback);
  }

  /** Deletes expired sessions; resolves with how many. */
  purgeExpired(): Promise<number> {
    const { sessions } = this.store.tables;
    return this.store.transaction(
      async (tx) => (await tx.delete(sessions).where(lte(sessions.expiresAt, Date.now())).returning({ id: sessions.id })).length,
      NO_CACHED_DATA,
    );
  }

  private async save(sessionId: string, session: Session): Promise<void> {
    const { sessions } = this.store.tables;
    const expires = session.cookie.expires ? new Date(session.cookie.expires).getTime() : Date.now() + this.defaultMaxAgeMs;
    const data = JSON.stringify(session);
    // Read first, outside a transaction: a session only touched writes nothing, so it empties no cache.
    const stored = await this.store.read((db) =>
      first(db.select({ data: sessions.data, expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sessionId))),
    );
    const onlyTouched =
      stored && expires >= stored.expiresAt && expires - stored.expiresAt < SESSION_TOUCH_INTERVAL_MS && withoutCookie(stored.data) === withoutCookie(data);
    if (onlyTouched) return;
    const row = { userId: session.userId ?? null, data, expiresAt: expires };
    await this.store.transaction(async (tx) => {
      await tx
        .insert(sessions)
        .values({ id: sessionId, ...row })
        .onConflictDoUpdate({ target: sessions.id, set: row });
    }, NO_CACHED_DATA);
  }
}
