import { checkFormToken, issueFormToken } from '../auth/form-token.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type FormErrors, formErrors, keptValues, noErrors, zodFormErrors } from '../admin/forms.js';
import { confirmFirst } from '../admin/confirm.js';
import { actorId, notFound, recordFrom } from '../admin/params.js';
import { requireRole } from '../auth/guards.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { MIN_PASSWORD_LENGTH } from '../auth/routes.js';
import type { StaffUser } from '../db/schema.js';
import { flash } from '../plugins/request-context.js';
import { RESET_LINK_TTL_MS, StaffRuleError, addStaffBody, changePasswordBody, createStaffAdmin, resetBody, roleBody } from './queries.js';

const tokenParams = z.object({ token: z.string().min(1).max(200) });

export async function staffRoutes(app: FastifyInstance) {
  const staff = createStaffAdmin(app.store);
  const { config } = app;
  const adminPost = { preHandler: [requireRole('admin'), app.csrfProtection] };
  const linkHours = RESET_LINK_TTL_MS / 3600_000;

  async function renderList(reply: FastifyReply, status: number, values: Record<string, unknown> = {}, errors: FormErrors = noErrors) {
    const users = (await staff.all()).map((u) => ({
      id: u.id,
      email: u.email,
      role: u.role,
      disabled: u.disabled,
      createdAt: u.createdAt,
      isAdmin: u.role === 'admin',
    }));
    return reply
      .code(status)
      .view('staff/index', { title: 'Staff', users, values, newRoleAdmin: values.role === 'admin', ...errors, csrfToken: reply.generateCsrf() });
  }

  function renderLink(reply: FastifyReply, user: StaffUser, token: string, isNew: boolean) {
    return reply.view('staff/link', { title: 'Password link', user, isNew, link: `${config.PUBLIC_URL}/reset/${token}`, hours: linkHours });
  }

  /** Runs a staff change; a refused one shows the list again with the reason linked to that person's row. */
  async function change(request: FastifyRequest, reply: FastifyReply, user: StaffUser, run: () => Promise<void>, done: string) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof StaffRuleError)) throw err;
      return renderList(reply, 409, {}, formErrors({ [`staff-${user.id}`]: err.message }));
    }
    flash(request, done);
    return reply.redirect('/admin/staff', 303);
  }

  app.get('/admin/staff', { preHandler: requireRole('admin') }, async (request, reply) => renderList(reply, 200));

  app.post('/admin/staff', adminPost, async (request, reply) => {
    const values = keptValues(request.body);
    const parsed = addStaffBody.safeParse(values);
    if (!parsed.success) return renderList(reply, 400, values, zodFormErrors(parsed.error));
    // Nobody ever learns this password: the new staff member sets their own through the link.
    const unusable = await hashPassword(randomBytes(32).toString('base64url'), config.PASSWORD_HASH_COST);
    try {
      const { user, token } = await staff.add(actorId(request), parsed.data.email, parsed.data.role, unusable);
      return renderLink(reply, user, token, true);
    } catch (err) {
      if (!(err instanceof StaffRuleError)) throw err;
      return renderList(reply, 400, values, formErrors({ email: err.message }));
    }
  });

  app.post('/admin/staff/:id/role', adminPost, async (request, reply) => {
    const user = await recordFrom(request.params, staff.find);
    if (!user) return notFound(reply);
    const parsed = roleBody.safeParse(request.body ?? {});
    if (!parsed.success) return renderList(reply, 400, {}, formErrors({ [`staff-${user.id}`]: 'Choose admin or liaison.' }));
    return change(
      request,
      reply,
      user,
      () => staff.setRole(actorId(request), user.id, parsed.data.role),
      `${user.email} is now ${parsed.data.role === 'admin' ? 'an admin' : 'a liaison'}.`,
    );
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`/admin/staff/:id/${action}`, adminPost, async (request, reply) => {
      const user = await recordFrom(request.params, staff.find);
      if (!user) return notFound(reply);
      if (disabled) {
        const asked = confirmFirst(request, reply, {
          heading: `Disable ${user.email}?`,
          detail: 'They are logged out everywhere at once and cannot log in until an admin enables them again.',
          button: 'Disable account',
          cancel: '/admin/staff',
        });
        if (asked) return asked;
      }
      return change(
        request,
        reply,
        user,
        () => staff.setDisabled(actorId(request), user.id, disabled),
        `${user.email} is ${disabled ? 'disabled' : 'enabled again'}.`,
      );
    });
  }

  app.post('/admin/staff/:id/reset-link', adminPost, async (request, reply) => {
    const user = await recordFrom(request.params, staff.find);
    if (!user) return notFound(reply);
    return renderLink(reply, user, await staff.issueResetLink(actorId(request), user.id), false);
  });

  // Password links: public pages, limited like the login.
  const loginLimit = { rateLimit: { max: config.LOGIN_RATE_LIMIT, timeWindow: '15 minutes' } };
  async function usableReset(request: FastifyRequest) {
    const parsed = tokenParams.safeParse(request.params);
    const found = parsed.success ? await app.staff.findUsableToken(parsed.data.token, 'reset') : undefined;
    return found?.userId ? { token: parsed.data!.token, userId: found.userId } : undefined;
  }
  const linkExpired = (reply: FastifyReply) =>
    reply
      .code(404)
      .view('errors/error', { title: 'This password link is no longer valid', message: 'It has been used or has expired. Ask an admin for a new link.' });
  const renderReset = (reply: FastifyReply, status: number, errors: FormErrors) =>
    reply.code(status).view('staff/reset', { title: 'Set your password', minLength: MIN_PASSWORD_LENGTH, ...errors, csrfToken: issueFormToken(app, reply) });

  app.get('/reset/:token', async (request, reply) => ((await usableReset(request)) ? renderReset(reply, 200, noErrors) : linkExpired(reply)));

  app.post('/reset/:token', { config: loginLimit, preHandler: checkFormToken(app) }, async (request, reply) => {
    const reset = await usableReset(request);
    if (!reset) return linkExpired(reply);
    const parsed = resetBody.safeParse(request.body ?? {});
    if (!parsed.success) return renderReset(reply, 400, zodFormErrors(parsed.error));
    const passwordHash = await hashPassword(parsed.data.password, config.PASSWORD_HASH_COST);
    if (!(await staff.completeReset(reset.token, reset.userId, passwordHash))) return linkExpired(reply);
    return reply.view('staff/done', { title: 'Password set', message: 'Your password is set. You can now log in with it.' });
  });

  const anyStaff = requireRole('admin', 'liaison');
  const renderChange = (reply: FastifyReply, status: number, errors: FormErrors) =>
    reply.code(status).view('staff/password', { title: 'Change your password', minLength: MIN_PASSWORD_LENGTH, ...errors, csrfToken: reply.generateCsrf() });

  app.get('/account/password', { preHandler: anyStaff }, async (request, reply) => renderChange(reply, 200, noErrors));

  app.post('/account/password', { config: loginLimit, preHandler: [anyStaff, app.csrfProtection] }, async (request, reply) => {
    const user = request.staffUser!;
    const parsed = changePasswordBody.safeParse(request.body ?? {});
    if (!parsed.success) return renderChange(reply, 400, zodFormErrors(parsed.error));
    if (!(await verifyPassword(parsed.data.current, user.passwordHash)))
      return renderChange(reply, 400, formErrors({ current: 'That is not your current password.' }));
    await staff.changeOwnPassword(user.id, await hashPassword(parsed.data.password, config.PASSWORD_HASH_COST));
    // Every other session ended with the change; this one continues under a fresh id.
    await request.session.regenerate();
    request.session.userId = user.id;
    request.session.loggedInAt = Date.now();
    return reply.view('staff/done', { title: 'Password changed', message: 'Your password is changed. You were logged out everywhere else.' });
  });
}
