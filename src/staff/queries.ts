import { randomBytes } from 'node:crypto';
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { MIN_PASSWORD_LENGTH } from '../auth/routes.js';
import { hashToken } from '../auth/staff-repository.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { oneTimeTokens, sessions, staffRoles, staffUsers, type StaffRole } from '../db/schema.js';

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
export function createStaffAdmin({ db }: DatabaseHandle) {
  type Tx = Parameters<Parameters<typeof db.transaction>[0]>[0];
  const activeAdmins = (tx: Tx) =>
    tx
      .select({ n: count() })
      .from(staffUsers)
      .where(and(eq(staffUsers.role, 'admin'), eq(staffUsers.disabled, false)))
      .get()!.n;

  function issue(tx: Tx, userId: number): string {
    // A new link replaces any unused one, so only the latest handed-over link works.
    tx.delete(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, 'reset'), isNull(oneTimeTokens.usedAt)))
      .run();
    const token = randomBytes(32).toString('base64url');
    tx.insert(oneTimeTokens)
      .values({ tokenHash: hashToken(token), purpose: 'reset', userId, expiresAt: Date.now() + RESET_LINK_TTL_MS })
      .run();
    return token;
  }

  return {
    all: () => db.select().from(staffUsers).orderBy(asc(staffUsers.email)).all(),
    find: (id: number) => db.select().from(staffUsers).where(eq(staffUsers.id, id)).get(),
    /** Adds an account whose (random, never shown) password must be set through the returned one-time link token. */
    add(actorId: number, email: string, staffRole: StaffRole, unusablePasswordHash: string) {
      return db.transaction((tx) => {
        if (tx.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.email, email)).get())
          throw new StaffRuleError('A staff account with this email already exists.');
        const user = tx.insert(staffUsers).values({ email, role: staffRole, passwordHash: unusablePasswordHash }).returning().get();
        recordAudit(tx, { userId: actorId, action: 'staff.create', entity: 'staff_user', entityId: user.id, details: { email, role: staffRole } });
        return { user, token: issue(tx, user.id) };
      });
    },
    setRole(actorId: number, userId: number, staffRole: StaffRole) {
      db.transaction((tx) => {
        const user = tx.select().from(staffUsers).where(eq(staffUsers.id, userId)).get()!;
        if (user.role === staffRole) return;
        if (user.role === 'admin' && !user.disabled && activeAdmins(tx) <= 1) {
          throw new StaffRuleError(`${user.email} is the only active admin: make another staff member admin first.`);
        }
        tx.update(staffUsers).set({ role: staffRole }).where(eq(staffUsers.id, userId)).run();
        recordAudit(tx, { userId: actorId, action: 'staff.role', entity: 'staff_user', entityId: userId, details: { from: user.role, to: staffRole } });
      });
    },
    /** Disabling also ends every session of that account at once. */
    setDisabled(actorId: number, userId: number, disabled: boolean) {
      db.transaction((tx) => {
        const user = tx.select().from(staffUsers).where(eq(staffUsers.id, userId)).get()!;
        if (user.disabled === disabled) return;
        if (disabled && userId === actorId) throw new StaffRuleError('You cannot disable your own account; ask another admin.');
        if (disabled && user.role === 'admin' && activeAdmins(tx) <= 1)
          throw new StaffRuleError(`${user.email} is the only active admin and cannot be disabled.`);
        tx.update(staffUsers).set({ disabled }).where(eq(staffUsers.id, userId)).run();
        if (disabled) tx.delete(sessions).where(eq(sessions.userId, userId)).run();
        recordAudit(tx, { userId: actorId, action: disabled ? 'staff.disable' : 'staff.enable', entity: 'staff_user', entityId: userId });
      });
    },
    issueResetLink(actorId: number, userId: number): string {
      return db.transaction((tx) => {
        recordAudit(tx, { userId: actorId, action: 'staff.reset_link', entity: 'staff_user', entityId: userId });
        return issue(tx, userId);
      });
    },
    /** Uses a reset token once: sets the password and ends the account's sessions. False when the token was spent. */
    completeReset(token: string, userId: number, passwordHash: string): boolean {
      return db.transaction((tx) => {
        const used = tx
          .update(oneTimeTokens)
          .set({ usedAt: Date.now() })
          .where(and(eq(oneTimeTokens.tokenHash, hashToken(token)), isNull(oneTimeTokens.usedAt)))
          .run();
        if (used.changes !== 1) return false;
        tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId)).run();
        tx.delete(sessions).where(eq(sessions.userId, userId)).run();
        recordAudit(tx, { userId, action: 'staff.password_reset', entity: 'staff_user', entityId: userId });
        return true;
      });
    },
    /** A staff member's own new password; every session of theirs ends (the caller starts a fresh one). */
    changeOwnPassword(userId: number, passwordHash: string) {
      db.transaction((tx) => {
        tx.update(staffUsers).set({ passwordHash }).where(eq(staffUsers.id, userId)).run();
        tx.delete(sessions).where(eq(sessions.userId, userId)).run();
        recordAudit(tx, { userId, action: 'staff.password_change', entity: 'staff_user', entityId: userId });
      });
    },
  };
}
