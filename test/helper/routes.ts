import type { FastifyInstance } from 'fastify';

export type Access = 'public' | 'staff' | 'admin';

/**
 * Who may use a route, by the route plan: admin pages under /admin; liaison and admin pages under /results,
 * /events, /outreach, /account and the JSON API; everything else is for residents and the public.
 * A route under none of these prefixes fails the matrix test until it is placed here.
 */
export function accessFor(url: string): Access | undefined {
  if (url === '/admin' || url.startsWith('/admin/')) return 'admin';
  if (
    ['/results', '/events', '/outreach', '/account', '/api/'].some((p) => url === p || url.startsWith(p.endsWith('/') ? p : `${p}/`) || url.startsWith(`${p}.`))
  )
    return 'staff';
  if (
    url === '/' ||
    url === '/public' ||
    url === '/invitation' ||
    ['/healthz', '/login', '/logout', '/setup/', '/reset/', '/surveys/', '/s/', '/kiosk/', '/i/', '/invitation/', '/public/', '/static/'].some((p) =>
      url.startsWith(p),
    )
  )
    return 'public';
  return undefined;
}

/** A concrete URL for a route pattern, with plausible values for its parameters. */
export function fillParams(url: string, values: Record<string, string> = {}): string {
  const defaults: Record<string, string> = {
    slug: 'community-trust',
    survey: 'community-trust',
    surveySlug: 'community-trust',
    neighborhood: 'riverside',
    id: '1',
    event: '1',
    token: 'not-a-token',
    batch: '1',
  };
  return url
    .replace(/:(\w+)/g, (_, name: string) =>
      [...Buffer.from(values[name] ?? defaults[name] ?? 'x', 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    )
    .replace('*', 'css/site.css');
}

export const routesOf = (app: FastifyInstance) => app.routeList.filter((r) => r.method !== 'OPTIONS');
