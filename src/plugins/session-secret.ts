import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/client.js';
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
