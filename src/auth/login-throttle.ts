import { createHmac } from 'node:crypto';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { first, NO_CACHED_DATA, type Store } from '../db/store.js';

const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
// Failures are forgotten after this long without another one (counted from the end of any lock).
const FORGET_AFTER_MS = 15 * 60_000;

/**
 * Lockout with exponential backoff per email *and* client, kept in the database so that it holds on every app server
 * (the per-client rate limit beside it counts per server): after five failures each further one locks that pair for
 * 30 s, 60 s, 120 s … up to 15 minutes, and failures decay after 15 quiet minutes. Keyed on the pair, so a stranger's
 * failures never lock the account's owner out. Unknown emails are treated exactly like real ones, so a lockout reveals
 * nothing about which accounts exist. The pair is stored only as an HMAC under `secret`: no address or email is kept.
 */
export function createLoginThrottle(store: Store, secret: Buffer, now: () => number = Date.now) {
  const { loginFailures } = store.tables;
  const keyOf = (email: string, client: string) => createHmac('sha256', secret).update(`${email}\n${client}`).digest('base64url');

  return {
    /** Milliseconds this email must still wait from this client, or 0. */
    async lockedFor(email: string, client: string): Promise<number> {
      const at = now();
      const entry = await store.read((db) =>
        first(
          db
            .select({ lockedUntil: loginFailures.lockedUntil })
            .from(loginFailures)
            .where(and(eq(loginFailures.key, keyOf(email, client)), gte(loginFailures.forgetAt, at))),
        ),
      );
      return entry ? Math.max(0, entry.lockedUntil - at) : 0;
    },
    /** Counts a failure; resolves with how long the pair is now locked for (0 when not). */
    fail(email: string, client: string): Promise<number> {
      const key = keyOf(email, client);
      const at = now();
      return store.transaction(async (tx) => {
        // Counted in one statement, so failures arriving together at two servers are all counted.
        const [{ failures }] = await tx
          .insert(loginFailures)
          .values({ key, failures: 1, lockedUntil: 0, forgetAt: at + FORGET_AFTER_MS })
          .onConflictDoUpdate({
            target: loginFailures.key,
            set: { failures: sql`CASE WHEN ${loginFailures.forgetAt} < ${at} THEN 1 ELSE ${loginFailures.failures} + 1 END` },
          })
          .returning({ failures: loginFailures.failures });
        const lockedUntil = failures >= FREE_FAILURES ? at + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (failures - FREE_FAILURES)) : 0;
        await tx
          .update(loginFailures)
          .set({ lockedUntil, forgetAt: Math.max(at, lockedUntil) + FORGET_AFTER_MS })
          .where(eq(loginFailures.key, key));
        await tx.delete(loginFailures).where(lt(loginFailures.forgetAt, at));
        return Math.max(0, lockedUntil - at);
      }, NO_CACHED_DATA);
    },
    async succeed(email: string, client: string): Promise<void> {
      await store.transaction(async (tx) => {
        await tx.delete(loginFailures).where(eq(loginFailures.key, keyOf(email, client)));
      }, NO_CACHED_DATA);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
