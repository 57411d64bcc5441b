import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dateIn } from '../dates.js';

export const KIOSK_COOKIE = 'cg_kiosk';

export const linkTarget = z.object({
  survey: z.string().min(1).max(200),
  neighborhood: z.string().min(1).max(200),
  event: z.coerce.number().int().positive().optional(),
});
export type LinkTarget = z.infer<typeof linkTarget>;

/** The resident link a QR code carries: the survey with the neighborhood preset and the channel (and event) noted. */
export function surveyLink(publicUrl: string, target: LinkTarget): string {
  const params = new URLSearchParams({ neighborhood: target.neighborhood, channel: 'qr', ...(target.event ? { event: String(target.event) } : {}) });
  return `${publicUrl}/surveys/${encodeURIComponent(target.survey)}?${params}`;
}

/** A short address to print under the QR code: /s/<survey>/<neighborhood>[/<event>]. */
export function shortLink(publicUrl: string, target: LinkTarget): string {
  return `${publicUrl}/s/${[target.survey, target.neighborhood, ...(target.event ? [String(target.event)] : [])].map(encodeURIComponent).join('/')}`;
}

const kioskPayload = linkTarget.extend({ validOn: z.string() });

/** A kiosk link signed with the server's secret and valid only on `validOn` (the day of the event). */
export function kioskToken(app: FastifyInstance, target: LinkTarget, validOn: string): string {
  const payload = Buffer.from(JSON.stringify({ ...target, validOn })).toString('base64url');
  return app.signCookie(payload);
}

/** The kiosk link's target if its signature holds and its day is today, else null. */
export function readKioskToken(app: FastifyInstance, token: string): (LinkTarget & { validOn: string }) | null {
  const unsigned = app.unsignCookie(token);
  if (!unsigned.valid || !unsigned.value) return null;
  try {
    const parsed = kioskPayload.safeParse(JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')));
    if (!parsed.success || parsed.data.validOn !== dateIn(app.config.TIME_ZONE)) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

/** True on a device a staff member set up as today's kiosk (a signed cookie naming today's date). */
export function isKioskDevice(app: FastifyInstance, request: FastifyRequest): boolean {
  const raw = request.cookies[KIOSK_COOKIE];
  if (!raw) return false;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value === dateIn(app.config.TIME_ZONE);
}
