import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dateIn } from '../dates.js';
import { and, asc, eq, gte, isNull } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import { first, type Store } from '../db/store.js';

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
export function createKioskLinks(store: Store) {
  const { tables } = store;
  const { events, kioskLinks, neighborhoods, staffUsers, surveys } = tables;
  const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
  const byHash = (hash: string) =>
    store.read((db) =>
      first(
        db
          .select({
            survey: surveys.slug,
            neighborhood: neighborhoods.slug,
            event: kioskLinks.eventId,
            validOn: kioskLinks.validOn,
            revokedAt: kioskLinks.revokedAt,
          })
          .from(kioskLinks)
          .innerJoin(surveys, eq(surveys.id, kioskLinks.surveyId))
          .innerJoin(neighborhoods, eq(neighborhoods.id, kioskLinks.neighborhoodId))
          .where(eq(kioskLinks.tokenHash, hash)),
      ),
    );
  return {
    hashOf,
    /** Records a new link with its audit entry (`details` says what it opens); returns its token (shown once, never stored). */
    issue(
      ids: { surveyId: number; neighborhoodId: number; eventId: number | null },
      validOn: string,
      createdBy: number,
      details: Record<string, unknown>,
    ): Promise<{ token: string; hash: string }> {
      const token = randomBytes(24).toString('base64url');
      const hash = hashOf(token);
      return store.transaction(async (tx) => {
        await tx.insert(kioskLinks).values({ tokenHash: hash, ...ids, validOn, createdBy });
        await audit(tx, tables, { userId: createdBy, action: 'kiosk-link.issue', entity: 'kiosk-link', entityId: hash.slice(0, 12), details });
        return { token, hash };
      });
    },
    /** What a token opens if it was issued, is not revoked and is for `today`; else null. */
    async open(token: string, today: string): Promise<(LinkTarget & { hash: string; validOn: string }) | null> {
      const hash = hashOf(token);
      const link = await byHash(hash);
      if (!link || link.revokedAt !== null || link.validOn !== today) return null;
      return { hash, validOn: link.validOn, survey: link.survey, neighborhood: link.neighborhood, ...(link.event ? { event: link.event } : {}) };
    },
    /** The link with this hash: its survey, neighborhood, event, day and when it was revoked. */
    find: byHash,
    /** True while the link with this hash exists and is not revoked. */
    isActive: async (hash: string) => {
      const link = await byHash(hash);
      return link !== undefined && link.revokedAt === null;
    },
    /** Revokes a link, audited in the same transaction; false when it does not exist or was already revoked. */
    revoke(hash: string, userId: number): Promise<boolean> {
      return store.transaction(async (tx) => {
        const revoked = await tx
          .update(kioskLinks)
          .set({ revokedAt: new Date().toISOString() })
          .where(and(eq(kioskLinks.tokenHash, hash), isNull(kioskLinks.revokedAt)))
          .returning({ hash: kioskLinks.tokenHash });
        if (revoked.length !== 1) return false;
        await audit(tx, tables, { userId, action: 'kiosk-link.revoke', entity: 'kiosk-link', entityId: hash.slice(0, 12) });
        return true;
      });
    },
    /** Links for today and later days, for the outreach page. */
    listFrom: (day: string) =>
      store.read((db) =>
        db
          .select({
            hash: kioskLinks.tokenHash,
            survey: surveys.slug,
            neighborhood: neighborhoods.name,
            event: events.title,
            validOn: kioskLinks.validOn,
            createdBy: staffUsers.email,
            createdAt: kioskLinks.createdAt,
            revokedAt: kioskLinks.revokedAt,
          })
          .from(kioskLinks)
          .innerJoin(surveys, eq(surveys.id, kioskLinks.surveyId))
          .innerJoin(neighborhoods, eq(neighborhoods.id, kioskLinks.neighborhoodId))
          .leftJoin(events, eq(events.id, kioskLinks.eventId))
          .leftJoin(staffUsers, eq(staffUsers.id, kioskLinks.createdBy))
          .where(gte(kioskLinks.validOn, day))
          .orderBy(asc(kioskLinks.validOn), asc(kioskLinks.createdAt)),
      ),
  };
}

export type KioskLinks = ReturnType<typeof createKioskLinks>;

/** The kiosk cookie's value: the day and the link it came from, signed with the kiosk-device key. */
export function kioskCookieValue(app: FastifyInstance, validOn: string, hash: string): string {
  return app.signers['kiosk-device'].sign(`${validOn}.${hash}`);
}

/** The link and day of a device set up today through a kiosk link that has not been revoked since; else null. */
export async function kioskDevice(app: FastifyInstance, request: FastifyRequest): Promise<{ day: string; hash: string } | null> {
  const raw = request.cookies[KIOSK_COOKIE];
  if (!raw) return null;
  const unsigned = app.signers['kiosk-device'].unsign(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  const [day, hash] = unsigned.value.split('.');
  return day === dateIn(app.config.TIME_ZONE) && hash !== undefined && (await app.kioskLinks.isActive(hash)) ? { day, hash } : null;
}

/** True on a device set up today through a kiosk link that has not been revoked since. */
export const isKioskDevice = async (app: FastifyInstance, request: FastifyRequest) => (await kioskDevice(app, request)) !== null;

/**
 * The pass a kiosk page hands the answers it queues while offline: its link and day, signed with a key of its own (so
 * it cannot serve as a kiosk cookie). A queued answer may arrive after the device's cookie has expired.
 */
export const kioskQueuePass = (app: FastifyInstance, device: { day: string; hash: string }) => app.signers['kiosk-queue'].sign(`${device.day}.${device.hash}`);

/** The day and survey of the kiosk link a queued answer's pass names, when its signature holds and the link is not revoked; else null. */
export async function openQueuePass(app: FastifyInstance, pass: string): Promise<{ day: string; survey: string } | null> {
  const unsigned = app.signers['kiosk-queue'].unsign(pass);
  if (!unsigned.valid || !unsigned.value) return null;
  const [day, hash] = unsigned.value.split('.');
  const link = hash === undefined ? undefined : await app.kioskLinks.find(hash);
  return link && link.revokedAt === null && link.validOn === day ? { day, survey: link.survey } : null;
}
