import { hkdfSync, randomBytes } from 'node:crypto';
import { Signer } from '@fastify/cookie';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { settings } from '../db/schema.js';

/** SESSION_SECRET when set; otherwise one generated on first start and kept in the database so sessions survive restarts. */
export function getSessionSecret({ db }: DatabaseHandle, configured: string | undefined): string {
  if (configured) return configured;
  const key = 'session_secret';
  db.insert(settings)
    .values({ key, value: randomBytes(48).toString('base64url') })
    .onConflictDoNothing()
    .run();
  return db.select().from(settings).where(eq(settings.key, key)).get()!.value;
}

/** What a signature vouches for; each has its own key, so a value signed for one purpose is worthless for another. */
export const signingPurposes = ['answered', 'kiosk-device', 'pre-login-form'] as const;
export type SigningPurpose = (typeof signingPurposes)[number];

/** One signer per purpose, each keyed by HKDF-SHA256 from the session secret with the purpose as its info. */
export function purposeSigners(secret: string): Record<SigningPurpose, Signer> {
  return Object.fromEntries(
    signingPurposes.map((purpose) => [purpose, new Signer(Buffer.from(hkdfSync('sha256', secret, '', `common-ground ${purpose}`, 32)))]),
  ) as Record<SigningPurpose, Signer>;
}
