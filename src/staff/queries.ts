import { randomBytes } from 'node:crypto';
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record.js';
import { MIN_PASSWORD_LENGTH } from '../auth/routes.js';
import { hashToken } from '../auth/staff-repository.js';
import { staffRoles, type StaffRole, type StaffUser } from '../db/schema.js';
import { first, type Db, type Store } from '../db/store.js';

/** How long a password link (new account or reset) works. */
export const RESET_LINK_TTL_MS = 48 * 60 * 60 * 1000;

const role = z.enum(staffRoles, { error: 'Choose admin or liaison.' });
export const addStaffBody = z.object({ email: z.string().trim().toLowerCase().email('Enter a valid email address.').max(254), role });
export const roleBody = z.object({ role });
const newPassword = {
  password: z.string().min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`).max(1024, 'Use at most 1,024 characters.'),
  confirm: z.string().max(1024),
};
const matching = { path: ['confirm'], message: 'The two passwords do not match.' };
export const resetBody = z.object(newPassword).refine((b) => b.password === b.confirm, matching);
export const changePasswordBody = z
  .object({ current: z.string().min(1, 'Enter your current password.').max(1024), ...newPassword })
  .refine((b) => b.password === b.confirm, matching);

/** A refused change, with the reason shown to the admin. */
export class StaffRuleError extends Error {}

/** Staff administration: every change in one transaction with its audit entry; the last active admin is kept. */
export function createStaffAdmin(store: Store) {
  const { tables } = store;
  const { oneTimeTokens, sessions, staffUsers } = tables;
  const activeAdmins = async (tx: Db) =>
    (
      await tx
        .select({ n: count() })
        .from(staffUsers)
        .where(and(eq(staffUsers.role, 'admin'), eq(staffUsers.disabled, false)))
    )[0].n;
  const userOf = async (tx: Db, userId: number) => (await tx.select().from(staffUsers).where(eq(staffUsers.id, userId)))[0];

  async function issue(tx: Db, userId: number): Promise<string> {
    // A new link replaces any unused one, so only the latest handed-over link works.
    await tx.delete(oneTimeTokens).where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, 'reset'), isNull(oneTimeTokens.usedAt)));
    const token = randomBytes(32).toString('base64url');
    await tx.insert(oneTimeTokens).values({ tokenHash: hashToken(token), purpose: 'reset', userId, expiresAt: Date.now() + RESET_LINK_TTL_MS });
    return token;
  }

  return {
    all: () => store.read((db) => db.select().from(staffUsers).orderBy(asc(staffUsers.email))),
    find: (id: number): Promise<StaffUser | undefined> => store.read((db) => first(db.select().from(staffUsers).where(eq(staffUsers.id, id)))),
    /** Adds an account whose (random, never shown) password must be set through the returned one-time link token. */
    add(actorId: number, email: string, staffRole: StaffRole, unusablePasswordHash: string): Promise<{ user: StaffUser; token: string }> {
      return store.transaction(async (tx) => {
        if (await first(tx.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.email, email))))
          throw new StaffRuleError('A staff account with this email already exists.');
        const [user] = await tx.insert(staffUsers).values({ email, role: staffRole, passwordHash: unusablePasswordHash }).returning();
        await audit(tx, tables, { userId: actorId, action: 'staff.create', entity: 'staff_user', entityId: user.id, details: { email, role: staffRole } });
        return { user, token: await issue(tx, user.id) };
      });
    },
    setRole(actorId: number, userId: number, staffRole: StaffRole): Promise<void> {
      return store.transaction(async (tx) => {
        const user = await userOf(tx, userId);
        if (user.role === staffRole) return;
        if (user.role === 'admin' && !user.disabled && (await activeAdmins(tx)) <= 1) {
          throw new StaffRuleError(`${user.email} is the only active admin: make another staff member admin first.`);
        }
        await tx.update(staffUsers).set({ role: staffRole }).where(eq(staffUsers.id, userId));
        await audit(tx, tables, { userId: actorId, action: 'staff.role', entity: 'staff_user', entityId: userId, details: { from: user.role, to: staffRole } });
      });
    },
    /** Disabling also ends every session of that account at once. */
    setDisabled(actorId: number, userId: number, disabled: boolean): Promise<void> {
      return store.transaction(async (tx) => {
        const user = await userOf(tx, userId);
        if (user.disabled === disabled) return;
        if (disabled && userId === actorId) throw new StaffRuleError('You cannot disable your own account; ask another admin.');
        if (disabled && user.role === 'admin' && (await activeAdmins(tx)) <= 1)
          throw new StaffRuleError(`${user.email} is the only active admin and cannot be disabled.`);
        await tx.update(staffUsers).set({ disabled }).where(eq(staffUsers.id, userId));
        if (disabled) await tx.delete(sessions).where(eq(sessions.userId, userId));
        await audit(tx, tables, { userId: actorId, action: disabled ? 'staff.disable' : 'staff.enable', entity: 'staff_user', entityId: userId });
      });
    },
    issueResetLink(actorId: number, userId: number): Promise<string> {
      return store.transaction(async (tx) => {
        await audit(tx, tables, { userId: actorId, action: 'staff.reset_link', entity: 'staff_user', entityId: userId });
        return issue(tx, userId);
      });
    },
    /** Uses a reset token once: sets the password and ends the account's sessions. False when the token was spent. */
    completeReset(token: string, userId: number, passwordHash: string): Promise<boolean> {
      return store.transaction(async (tx) => {
        const used = await tx
          .update(oneTimeTokens)
          .set({ usedAt: Date.now() })
          .where(and(eq(oneTimeTokens.tokenHash, hashToken(token)), isNull(oneTimeTokens.usedAt)))
          .returning({ tokenHash: oneTimeTokens.tokenHash });
        if (used.length !== 1) return false;
        await tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
        await audit(tx, tables, { userId, action: 'staff.password_reset', entity: 'staff_user', entityId: userId });
        return true;
      });
    },
    /** A staff member's own new password; every session of theirs ends (the caller starts a fresh one). */
    changeOwnPassword(userId: number, passwordHash: string): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
        await audit(tx, tables, { userId, action: 'staff.password_change', entity: 'staff_user', entityId: userId });
      });
    },
  };
}
