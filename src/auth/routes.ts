import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkFormToken, issueFormToken } from './form-token.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const MIN_PASSWORD_LENGTH = 12;

const loginBody = z.object({
  email: z.string().trim().toLowerCase().email('Enter the email address of your staff account.').max(254),
  password: z.string().min(1, 'Enter your password.').max(1024),
  next: z.string().max(2000).optional(),
});

const setupBody = z
  .object({
    email: z.string().trim().toLowerCase().email('Enter a valid email address.').max(254),
    password: z.string().min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`).max(1024),
    confirm: z.string().max(1024),
  })
  .refine((b) => b.password === b.confirm, { path: ['confirm'], message: 'The two passwords do not match.' });

const LOCAL_BASE = 'http://local.invalid';

/**
 * Only same-origin paths may follow a login: `next` is resolved as a browser would (which drops tabs and newlines, so
 * `/\t/host` is `//host`) and refused unless it stays on this site; the normalised, percent-encoded path is returned.
 */
export function safeNext(next: unknown): string | undefined {
  // Control characters are exactly what this refuses (a tab or newline after the slash reaches another host).
  // eslint-disable-next-line no-control-regex
  if (typeof next !== 'string' || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return undefined;
  try {
    const url = new URL(next, LOCAL_BASE);
    return url.origin === LOCAL_BASE ? `${url.pathname}${url.search}${url.hash}` : undefined;
  } catch {
    return undefined;
  }
}

const homeFor = (role: 'admin' | 'liaison') => (role === 'admin' ? '/admin' : '/results');

function issuesByField(error: z.ZodError) {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[String(issue.path[0])] ??= issue.message;
  return errors;
}

export async function authRoutes(app: FastifyInstance) {
  const { staff, config, loginThrottle: throttle } = app;
  // Verifying against a throwaway hash makes an unknown email cost the same time as a wrong password.
  // Made on first use rather than at start, which it would slow by a full hash.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hashPassword('not a real password', config.PASSWORD_HASH_COST));
  const loginLimit = { rateLimit: { max: config.LOGIN_RATE_LIMIT, timeWindow: '15 minutes' } };

  function renderLogin(reply: FastifyReply, status: number, data: { email?: string; next?: string; error?: string; fieldErrors?: Record<string, string> }) {
    return reply.code(status).view('auth/login', { ...data, csrfToken: issueFormToken(app, reply) });
  }

  const formToken = checkFormToken(app);

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (request.staffUser) return reply.redirect(next ?? homeFor(request.staffUser.role), 303);
    return renderLogin(reply, 200, { next });
  });

  app.post('/login', { config: loginLimit, preHandler: formToken }, async (request, reply) => {
    const parsed = loginBody.safeParse(request.body ?? {});
    const next = safeNext((request.body as Record<string, unknown> | undefined)?.next);
    if (!parsed.success) {
      const email = (request.body as Record<string, unknown> | undefined)?.email;
      return renderLogin(reply, 400, { email: typeof email === 'string' ? email : '', next, fieldErrors: issuesByField(parsed.error) });
    }
    const { email } = parsed.data;
    const wait = await throttle.lockedFor(email, request.ip);
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      return renderLogin(reply, 429, {
        email,
        next,
        error: `Too many failed attempts for this email. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      });
    }
    const user = await staff.findByEmail(email);
    const ok = await verifyPassword(parsed.data.password, user?.passwordHash ?? (await getDummyHash()));
    if (!user || !ok || user.disabled) {
      const locked = await throttle.fail(email, request.ip);
      // Neither the email nor the client's address is logged.
      if (locked > 0) request.log.warn({ lockedForSeconds: Math.ceil(locked / 1000) }, 'login locked for one email from one client after repeated failures');
      return renderLogin(reply, 401, { email, next, error: 'That email and password do not match an active staff account.' });
    }
    await throttle.succeed(email, request.ip);
    // A fresh session id at login defeats session fixation.
    await request.session.regenerate();
    request.session.userId = user.id;
    request.session.loggedInAt = Date.now();
    return reply.redirect(next ?? homeFor(user.role), 303);
  });

  app.post('/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/login', 303);
  });

  const tokenParams = z.object({ token: z.string().min(1).max(200) });

  async function usableSetupToken(request: FastifyRequest) {
    const parsed = tokenParams.safeParse(request.params);
    if (!parsed.success || (await staff.count()) > 0) return undefined;
    return (await staff.findUsableToken(parsed.data.token, 'setup')) ? parsed.data.token : undefined;
  }

  const setupExpired = (reply: FastifyReply) =>
    reply.code(404).view('errors/error', {
      title: 'This setup link is no longer valid',
      message: 'It has been used, has expired, or an admin already exists. Ask an admin to create your account.',
    });

  app.get('/setup/:token', async (request, reply) => {
    if (!(await usableSetupToken(request))) return setupExpired(reply);
    return reply.view('auth/setup', { csrfToken: issueFormToken(app, reply), minLength: MIN_PASSWORD_LENGTH });
  });

  app.post('/setup/:token', { config: loginLimit, preHandler: formToken }, async (request, reply) => {
    const token = await usableSetupToken(request);
    if (!token) return setupExpired(reply);
    const parsed = setupBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      const email = (request.body as Record<string, unknown> | undefined)?.email;
      return reply.code(400).view('auth/setup', {
        csrfToken: issueFormToken(app, reply),
        minLength: MIN_PASSWORD_LENGTH,
        email: typeof email === 'string' ? email : '',
        fieldErrors: issuesByField(parsed.error),
      });
    }
    const passwordHash = await hashPassword(parsed.data.password, config.PASSWORD_HASH_COST);
    if (!(await staff.markTokenUsed(token))) return setupExpired(reply);
    const user = await staff.create(parsed.data.email, passwordHash, 'admin');
    await request.session.regenerate();
    request.session.userId = user.id;
    request.session.loggedInAt = Date.now();
    return reply.redirect('/admin', 303);
  });
}
