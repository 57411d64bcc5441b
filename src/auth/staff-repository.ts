import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNull } from 'drizzle-orm';
import type { StaffRole, StaffUser } from '../db/schema.js';
import { first, type Store } from '../db/store.js';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Staff accounts, their sessions and one-time tokens. */
export function createStaffRepository(store: Store) {
  const { oneTimeTokens, sessions, staffUsers } = store.tables;

  return {
    findById: (id: number): Promise<StaffUser | undefined> => store.read((db) => first(db.select().from(staffUsers).where(eq(staffUsers.id, id)))),
    findByEmail: (email: string): Promise<StaffUser | undefined> =>
      store.read((db) => first(db.select().from(staffUsers).where(eq(staffUsers.email, email.trim().toLowerCase())))),
    count: () => store.read(async (db) => (await db.select({ n: count() }).from(staffUsers))[0].n),
    create(email: string, passwordHash: string, role: StaffRole): Promise<StaffUser> {
      return store.transaction(async (tx) => (await tx.insert(staffUsers).values({ email: email.trim().toLowerCase(), passwordHash, role }).returning())[0]);
    },
    /** Sets a new password and ends every session of that user. */
    setPassword(userId: number, passwordHash: string): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
      });
    },
    /** Issues a random one-time token, keeping only its hash; returns the token itself. */
    async issueToken(purpose: 'setup' | 'reset', userId: number | null, ttlMs: number): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await store.transaction(async (tx) => {
        await tx.insert(oneTimeTokens).values({ tokenHash: hashToken(token), purpose, userId, expiresAt: Date.now() + ttlMs });
      });
      return token;
    },
    /** A token that exists, has the purpose, has not expired and has not been used. */
    findUsableToken(token: string, purpose: 'setup' | 'reset') {
      return store.read((db) =>
        first(
          db
            .select()
            .from(oneTimeTokens)
            .where(
              and(
                eq(oneTimeTokens.tokenHash, hashToken(token)),
                eq(oneTimeTokens.purpose, purpose),
                gt(oneTimeTokens.expiresAt, Date.now()),
                isNull(oneTimeTokens.usedAt),
              ),
            ),
        ),
      );
    },
    markTokenUsed(token: string): Promise<boolean> {
      return store.transaction(async (tx) => {
        const used = await tx
          .update(oneTimeTokens)
          .set({ usedAt: Date.now() })
          .where(and(eq(oneTimeTokens.tokenHash, hashToken(token)), isNull(oneTimeTokens.usedAt)))
          .returning({ tokenHash: oneTimeTokens.tokenHash });
        return used.length === 1;
      });
    },
  };
}

export type StaffRepository = ReturnType<typeof createStaffRepository>;
