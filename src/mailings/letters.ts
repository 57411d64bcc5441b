/** How long a new mailing's codes stay in memory for its letters: after this they are gone for good. */
export const LETTERS_MINUTES = 30;

/**
 * The plaintext codes of mailings just made, held in this process's memory only (never written anywhere), for the
 * admin who made each, until LETTERS_MINUTES have passed or they are forgotten; a restart loses them too.
 */
export function createLetterCache(now: () => number = Date.now) {
  const held = new Map<number, { userId: number; codes: readonly string[]; until: number }>();
  const sweep = () => {
    for (const [id, entry] of held) if (entry.until <= now()) held.delete(id);
  };
  const timer = setInterval(sweep, 60_000);
  timer.unref();
  return {
    keep(mailingId: number, userId: number, codes: readonly string[]) {
      held.set(mailingId, { userId, codes, until: now() + LETTERS_MINUTES * 60_000 });
    },
    /** The codes of a mailing and until when they are kept, for the admin who made it only; else undefined. */
    codes(mailingId: number, userId: number): { codes: readonly string[]; until: Date } | undefined {
      sweep();
      const entry = held.get(mailingId);
      return entry && entry.userId === userId ? { codes: entry.codes, until: new Date(entry.until) } : undefined;
    },
    forget(mailingId: number, userId: number): boolean {
      const entry = held.get(mailingId);
      return entry?.userId === userId && held.delete(mailingId);
    },
    close() {
      clearInterval(timer);
      held.clear();
    },
  };
}

export type LetterCache = ReturnType<typeof createLetterCache>;
