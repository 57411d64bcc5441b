import { hkdfSync, randomBytes } from 'node:crypto';
import { Signer } from '@fastify/cookie';
import { eq } from 'drizzle-orm';
import type { Store } from '../db/store.js';

/** SESSION_SECRET when set; otherwise one generated on first start and kept in the database so sessions survive restarts. */
export async function getSessionSecret(store: Store, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const { settings } = store.tables;
  const key = 'session_secret';
  return store.transaction(async (tx) => {
    // Two servers starting together keep whichever secret was stored first.
    await tx
      .insert(settings)
      .values({ key, value: randomBytes(48).toString('base64url') })
      .onConflictDoNothing();
    return (await tx.select().from(settings).where(eq(settings.key, key)))[0].value;
  });
}

/** What a signature vouches for; each has its own key, so a value signed for one purpose is worthless for another. */
export const signingPurposes = ['answered', 'kiosk-device', 'kiosk-queue', 'pre-login-form'] as const;
export type SigningPurpose = (typeof signingPurposes)[number];

/** A key for one purpose, by HKDF-SHA256 from the session secret with the purpose as its info. */
export const purposeKey = (secret: string, purpose: string) => Buffer.from(hkdfSync('sha256', secret, '', `common-ground ${purpose}`, 32));

/** One signer per purpose, each with its own key. */
export function purposeSigners(secret: string): Record<SigningPurpose, Signer> {
  return Object.fromEntries(signingPurposes.map((purpose) => [purpose, new Signer(purposeKey(secret, purpose))])) as Record<SigningPurpose, Signer>;
}
