const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
// Failures are forgotten after this long without another one (counted from the end of any lock).
const FORGET_AFTER_MS = 15 * 60_000;
// Beyond this many remembered (email, client) pairs, the forgotten and then the oldest go first.
const MAX_ENTRIES = 10_000;

/**
 * Lockout with exponential backoff per email *and* client (kept in memory, alongside the per-client rate limit): after
 * five failures each further one locks that pair for 30 s, 60 s, 120 s … up to 15 minutes, and failures decay after 15
 * quiet minutes. Keyed on the pair, so a stranger's failures never lock the account's owner out. Unknown emails are
 * treated exactly like real ones, so a lockout reveals nothing about which accounts exist.
 */
export function createLoginThrottle(now: () => number = Date.now) {
  const failures = new Map<string, { count: number; lockedUntil: number; last: number }>();
  const keyOf = (email: string, client: string) => `${email}\n${client}`;
  const forgotten = (entry: { lockedUntil: number; last: number }) => now() - Math.max(entry.last, entry.lockedUntil) > FORGET_AFTER_MS;

  function current(key: string) {
    const entry = failures.get(key);
    if (entry && forgotten(entry)) failures.delete(key);
    return failures.get(key);
  }

  function prune() {
    for (const [key, entry] of failures) if (forgotten(entry)) failures.delete(key);
    for (const key of failures.keys()) {
      if (failures.size <= MAX_ENTRIES) break;
      failures.delete(key);
    }
  }

  return {
    /** Milliseconds this email must still wait from this client, or 0. */
    lockedFor(email: string, client: string): number {
      const entry = current(keyOf(email, client));
      return entry ? Math.max(0, entry.lockedUntil - now()) : 0;
    },
    /** Counts a failure; returns how long the pair is now locked for (0 when not). */
    fail(email: string, client: string): number {
      const key = keyOf(email, client);
      const entry = current(key) ?? { count: 0, lockedUntil: 0, last: 0 };
      entry.count++;
      entry.last = now();
      if (entry.count >= FREE_FAILURES) entry.lockedUntil = now() + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (entry.count - FREE_FAILURES));
      failures.delete(key);
      failures.set(key, entry);
      if (failures.size > MAX_ENTRIES) prune();
      return Math.max(0, entry.lockedUntil - now());
    },
    succeed(email: string, client: string): void {
      failures.delete(keyOf(email, client));
    },
  };
}
