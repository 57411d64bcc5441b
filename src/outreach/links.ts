import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dateIn } from '../dates.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';

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

/** Kiosk links: a random token handed to staff once; only its hash is kept, with what it opens and who made it. */
export function createKioskLinks({ sqlite }: DatabaseHandle) {
  const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
  const insert = sqlite.prepare('INSERT INTO kiosk_links (token_hash, survey_id, neighborhood_id, event_id, valid_on, created_by) VALUES (?, ?, ?, ?, ?, ?)');
  const byHash = sqlite.prepare<[string], { survey: string; neighborhood: string; event: number | null; validOn: string; revoked: number }>(
    `SELECT s.slug AS survey, n.slug AS neighborhood, k.event_id AS event, k.valid_on AS validOn, k.revoked_at IS NOT NULL AS revoked
     FROM kiosk_links k JOIN surveys s ON s.id = k.survey_id JOIN neighborhoods n ON n.id = k.neighborhood_id WHERE k.token_hash = ?`,
  );
  const revoke = sqlite.prepare("UPDATE kiosk_links SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE token_hash = ? AND revoked_at IS NULL");
  const fromDay = sqlite.prepare<[string], KioskLinkListing>(
    `SELECT k.token_hash AS hash, s.slug AS survey, n.name AS neighborhood, e.title AS event, k.valid_on AS validOn, u.email AS createdBy,
       k.created_at AS createdAt, k.revoked_at AS revokedAt
     FROM kiosk_links k JOIN surveys s ON s.id = k.survey_id JOIN neighborhoods n ON n.id = k.neighborhood_id
       LEFT JOIN events e ON e.id = k.event_id LEFT JOIN staff_users u ON u.id = k.created_by
     WHERE k.valid_on >= ? ORDER BY k.valid_on, k.created_at`,
  );
  return {
    hashOf,
    /** Records a new link and returns its token (shown once, never stored). */
    issue(ids: { surveyId: number; neighborhoodId: number; eventId: number | null }, validOn: string, createdBy: number): { token: string; hash: string } {
      const token = randomBytes(24).toString('base64url');
      insert.run(hashOf(token), ids.surveyId, ids.neighborhoodId, ids.eventId, validOn, createdBy);
      return { token, hash: hashOf(token) };
    },
    /** What a token opens if it was issued, is not revoked and is for `today`; else null. */
    open(token: string, today: string): (LinkTarget & { hash: string; validOn: string }) | null {
      const hash = hashOf(token);
      const link = byHash.get(hash);
      if (!link || link.revoked || link.validOn !== today) return null;
      return { hash, validOn: link.validOn, survey: link.survey, neighborhood: link.neighborhood, ...(link.event ? { event: link.event } : {}) };
    },
    /** True while the link with this hash exists and is not revoked. */
    isActive: (hash: string) => byHash.get(hash)?.revoked === 0,
    /** Revokes a link; false when it does not exist or was already revoked. */
    revoke: (hash: string) => revoke.run(hash).changes === 1,
    /** Links for today and later days, for the outreach page. */
    listFrom: (day: string) => fromDay.all(day),
  };
}

export interface KioskLinkListing {
  hash: string;
  survey: string;
  neighborhood: string;
  event: string | null;
  validOn: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export type KioskLinks = ReturnType<typeof createKioskLinks>;

/** The kiosk cookie's value: the day and the link it came from, signed with the kiosk-device key. */
export function kioskCookieValue(app: FastifyInstance, validOn: string, hash: string): string {
  return app.signers['kiosk-device'].sign(`${validOn}.${hash}`);
}

/** True on a device set up today through a kiosk link that has not been revoked since. */
export function isKioskDevice(app: FastifyInstance, request: FastifyRequest): boolean {
  const raw = request.cookies[KIOSK_COOKIE];
  if (!raw) return false;
  const unsigned = app.signers['kiosk-device'].unsign(raw);
  if (!unsigned.valid || !unsigned.value) return false;
  const [day, hash] = unsigned.value.split('.');
  return day === dateIn(app.config.TIME_ZONE) && hash !== undefined && app.kioskLinks.isActive(hash);
}
