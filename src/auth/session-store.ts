import type Database from 'better-sqlite3';
import type { Session } from 'fastify';
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

/** Server-side sessions in SQLite, so that staff sessions survive restarts and can be revoked per user. */
export class SqliteSessionStore {
  private readonly getStatement;
  private readonly storedStatement;
  private readonly setStatement;
  private readonly destroyStatement;
  private readonly purgeStatement;

  constructor(
    sqlite: Database.Database,
    private readonly defaultMaxAgeMs: number,
  ) {
    this.getStatement = sqlite.prepare<[string, number], { data: string }>('SELECT data FROM sessions WHERE id = ? AND expires_at > ?');
    this.storedStatement = sqlite.prepare<[string], { data: string; expiresAt: number }>('SELECT data, expires_at AS expiresAt FROM sessions WHERE id = ?');
    this.setStatement = sqlite.prepare(
      `INSERT INTO sessions (id, user_id, data, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at`,
    );
    this.destroyStatement = sqlite.prepare('DELETE FROM sessions WHERE id = ?');
    this.purgeStatement = sqlite.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  }

  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void {
    try {
      const row = this.getStatement.get(sessionId, Date.now());
      callback(null, row ? (JSON.parse(row.data) as Session) : null);
    } catch (err) {
      callback(err);
    }
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    try {
      const expires = session.cookie.expires ? new Date(session.cookie.expires).getTime() : Date.now() + this.defaultMaxAgeMs;
      const data = JSON.stringify(session);
      const stored = this.storedStatement.get(sessionId);
      const onlyTouched =
        stored && expires >= stored.expiresAt && expires - stored.expiresAt < SESSION_TOUCH_INTERVAL_MS && withoutCookie(stored.data) === withoutCookie(data);
      if (!onlyTouched) this.setStatement.run(sessionId, session.userId ?? null, data, expires);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  destroy(sessionId: string, callback: Callback): void {
    try {
      this.destroyStatement.run(sessionId);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  purgeExpired(): number {
    return this.purgeStatement.run(Date.now()).changes;
  }
}
