import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { oneTimeTokens, sessions, staffUsers, type StaffRole } from '../db/schema.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Staff accounts, their sessions and one-time tokens. */
export function createStaffRepository({ db }: DatabaseHandle) {
  const byId = db
    .select()
    .from(staffUsers)
    .where(eq(staffUsers.id, sql.placeholder('id')))
    .prepare();
  const byEmail = db
    .select()
    .from(staffUsers)
    .where(eq(staffUsers.email, sql.placeholder('email')))
    .prepare();

  return {
    findById: (id: number) => byId.get({ id }),
    findByEmail: (email: string) => byEmail.get({ email: email.trim().toLowerCase() }),
    count: () => db.select({ n: count() }).from(staffUsers).get()!.n,
    create(email: string, passwordHash: string, role: StaffRole) {
      return db.insert(staffUsers).values({ email: email.trim().toLowerCase(), passwordHash, role }).returning().get();
    },
    /** Sets a new password and ends every session of that user. */
    setPassword(userId: number, passwordHash: string) {
      db.transaction((tx) => {
        tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId)).run();
        tx.delete(sessions).where(eq(sessions.userId, userId)).run();
      });
    },
    /** Issues a random one-time token, keeping only its hash; returns the token itself. */
    issueToken(purpose: 'setup' | 'reset', userId: number | null, ttlMs: number): string {
      const token = randomBytes(32).toString('base64url');
      db.insert(oneTimeTokens)
        .values({ tokenHash: hashToken(token), purpose, userId, expiresAt: Date.now() + ttlMs })
        .run();
      return token;
    },
    /** A token that exists, has the purpose, has not expired and has not been used. */
    findUsableToken(token: string, purpose: 'setup' | 'reset') {
      return db
        .select()
        .from(oneTimeTokens)
        .where(
          and(
            eq(oneTimeTokens.tokenHash, hashToken(token)),
            eq(oneTimeTokens.purpose, purpose),
            gt(oneTimeTokens.expiresAt, Date.now()),
            isNull(oneTimeTokens.usedAt),
          ),
        )
        .get();
    },
    markTokenUsed(token: string) {
      return (
        db
          .update(oneTimeTokens)
          .set({ usedAt: Date.now() })
          .where(and(eq(oneTimeTokens.tokenHash, hashToken(token)), isNull(oneTimeTokens.usedAt)))
          .run().changes === 1
      );
    },
  };
}

export type StaffRepository = ReturnType<typeof createStaffRepository>;
