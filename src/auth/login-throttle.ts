const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;

/**
 * Lockout with exponential backoff per email (kept in memory, alongside the per-client rate limit): after five
 * failures each further one locks the email for 30 s, 60 s, 120 s … up to 15 minutes. Unknown emails are treated
 * exactly like real ones, so a lockout reveals nothing about which accounts exist.
 */
export function createLoginThrottle(now: () => number = Date.now) {
  const failures = new Map<string, { count: number; lockedUntil: number }>();

  return {
    /** Milliseconds this email must still wait, or 0. */
    lockedFor(email: string): number {
      const entry = failures.get(email);
      return entry ? Math.max(0, entry.lockedUntil - now()) : 0;
    },
    fail(email: string): void {
      const entry = failures.get(email) ?? { count: 0, lockedUntil: 0 };
      entry.count++;
      if (entry.count >= FREE_FAILURES) {
        entry.lockedUntil = now() + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (entry.count - FREE_FAILURES));
      }
      failures.set(email, entry);
    },
    succeed(email: string): void {
      failures.delete(email);
    },
  };
}
