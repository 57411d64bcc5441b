import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { addDays, dateIn } from '../dates.js';
import { NO_CACHED_DATA, type Db, type Store } from '../db/store.js';

/** A kiosk answer queued on the device is accepted up to this many days after the day it was given. */
export const KIOSK_REPLAY_DAYS = 7;
/** Receipts are deleted this many days after their kiosk day: long after the last replay they could stop. */
export const KIOSK_RECEIPT_DAYS = 30;

/**
 * Why a kiosk answer kept on the tablet and given on `day` cannot be accepted `today` from a link valid on `linkDay`,
 * or null when it can: it is recorded with the day it was given, which must be its link's day, at most
 * KIOSK_REPLAY_DAYS ago.
 */
export function queuedDayProblem(day: string, linkDay: string, today: string): string | null {
  if (day > today) return `The day the answer was given (${day}) is later than today (${today}).`;
  if (day < addDays(today, -KIOSK_REPLAY_DAYS)) return `Answers kept on a kiosk are accepted up to ${KIOSK_REPLAY_DAYS} days later; ${day} is too long ago.`;
  if (day !== linkDay) return `The answer was given on ${day}, but its kiosk link was for ${linkDay}.`;
  return null;
}

/** What is kept of an answer's random id: its SHA-256, never the id itself. */
export const answerHash = (answerId: string) => createHash('sha256').update(answerId).digest('hex');

/**
 * Claims an answer's receipt inside the submission's transaction `tx`: true when this is the first time the answer
 * arrives, false when it was already stored. The primary key decides, also between concurrent replays: on PostgreSQL
 * the second insert waits for the first transaction and then does nothing.
 */
export async function claimReceipt(tx: Db, store: Pick<Store, 'rows'>, answerId: string, kioskDay: string): Promise<boolean> {
  const claimed = await store.rows<{ answerHash: string }>(
    tx,
    sql`INSERT INTO kiosk_receipts (answer_hash, kiosk_day) VALUES (${answerHash(answerId)}, ${kioskDay})
      ON CONFLICT (answer_hash) DO NOTHING RETURNING answer_hash AS "answerHash"`,
  );
  return claimed.length === 1;
}

/** Deletes the receipts of kiosk days more than KIOSK_RECEIPT_DAYS before `today`; resolves with how many. */
export function purgeReceipts(store: Store, today: string): Promise<number> {
  return store.transaction((tx) => store.execute(tx, sql`DELETE FROM kiosk_receipts WHERE kiosk_day < ${addDays(today, -KIOSK_RECEIPT_DAYS)}`), NO_CACHED_DATA);
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Purges old receipts at start and every hour after, so none outlives its 30 days by more than an hour. */
export async function purgeReceiptsHourly(app: FastifyInstance): Promise<void> {
  const purge = () =>
    purgeReceipts(app.store, dateIn(app.config.TIME_ZONE)).catch((err: unknown) =>
      app.log.warn({ err }, 'old kiosk receipts could not be purged; the next hour tries again'),
    );
  await purge();
  const timer = setInterval(() => void purge(), PURGE_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
