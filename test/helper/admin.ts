import type { FastifyInstance } from 'fastify';
import { createStaff, csrfFrom, form, login } from './app.js';

export const ADMIN = { email: 'admin@example.org', password: 'admin password 1' };
export const LIAISON = { email: 'liaison@example.org', password: 'liaison password 1' };

/** An admin and a liaison, each logged in; `get`/`post` act as the admin, a post fetching its CSRF token from `from`. */
export async function staffSessions(app: FastifyInstance) {
  const admin = await createStaff(app, ADMIN.email, ADMIN.password, 'admin');
  const liaison = await createStaff(app, LIAISON.email, LIAISON.password, 'liaison');
  const adminJar = (await login(app, ADMIN.email, ADMIN.password)).jar;
  const liaisonJar = (await login(app, LIAISON.email, LIAISON.password)).jar;

  const as = (jar: typeof adminJar) => ({
    get: (url: string) => app.inject({ url, headers: { cookie: jar.header() } }),
    async post(url: string, fields: Record<string, string | string[]>, from = '/admin') {
      const page = await app.inject({ url: from, headers: { cookie: jar.header() } });
      const token = csrfFrom(page.body) ?? '';
      return app.inject({
        method: 'POST',
        url,
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: token, ...fields }),
      });
    },
    postWithoutToken: (url: string, fields: Record<string, string>) =>
      app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) }),
  });
  return { admin, liaison, adminJar, liaisonJar, asAdmin: as(adminJar), asLiaison: as(liaisonJar) };
}

/** Audit actions in order, read with plain SQL. */
export function auditActions(app: FastifyInstance): string[] {
  return (app.database.sqlite.prepare('SELECT action FROM audit_log ORDER BY id').all() as { action: string }[]).map((r) => r.action);
}
