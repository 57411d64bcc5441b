import { asc, desc, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import type { Mailing } from '../db/schema.js';
import { first, valueRows, type Db, type Store } from '../db/store.js';

/** A mailing as an admin creates it. */
export type NewMailing = Pick<Mailing, 'surveyId' | 'neighborhoodId' | 'name' | 'invitations' | 'mailedOn' | 'closesOn'>;

// Codes per insert statement: far below the bound parameters either database accepts.
const CODES_PER_INSERT = 500;

/** Mailings, their invitation codes (hashes only) and what response rates are counted from. */
export function createMailingRepository(store: Store) {
  const { tables } = store;
  const { invitationCodes, mailings, neighborhoods, staffUsers, surveys } = tables;
  const listed = (db: Db) =>
    db
      .select({
        mailing: mailings,
        surveySlug: surveys.slug,
        surveyTitle: surveys.title,
        neighborhood: neighborhoods.name,
        createdBy: staffUsers.email,
      })
      .from(mailings)
      .innerJoin(surveys, eq(surveys.id, mailings.surveyId))
      .innerJoin(neighborhoods, eq(neighborhoods.id, mailings.neighborhoodId))
      .leftJoin(staffUsers, eq(staffUsers.id, mailings.createdBy));

  return {
    /** Records a mailing and the hashes of its codes, audited, in one transaction (the codes themselves never). */
    create(userId: number | null, mailing: NewMailing, hashes: readonly string[]): Promise<Mailing> {
      return store.transaction(async (tx) => {
        const [created] = await tx
          .insert(mailings)
          .values({ ...mailing, createdBy: userId })
          .returning();
        for (let i = 0; i < hashes.length; i += CODES_PER_INSERT) {
          const rows = hashes.slice(i, i + CODES_PER_INSERT).map((hash) => [hash, created.id]);
          await store.execute(tx, sql`INSERT INTO invitation_codes (code_hash, mailing_id) VALUES ${valueRows(rows)}`);
        }
        await audit(tx, tables, { userId, action: 'mailing.create', entity: 'mailing', entityId: created.id, details: { ...mailing } });
        return created;
      });
    },
    /** Every mailing, the latest first, with its survey, neighborhood and who made it. */
    list: () => store.read((db) => listed(db).orderBy(desc(mailings.mailedOn), desc(mailings.id))),
    find: (id: number) => store.read((db) => first(listed(db).where(eq(mailings.id, id)))),
    /** The mailing of a code's hash and whether it is spent, or undefined for a code never made. */
    byCode: (hash: string) =>
      store.read((db) =>
        first(
          db
            .select({ mailing: mailings, spent: invitationCodes.spent, surveySlug: surveys.slug })
            .from(invitationCodes)
            .innerJoin(mailings, eq(mailings.id, invitationCodes.mailingId))
            .innerJoin(surveys, eq(surveys.id, mailings.surveyId))
            .where(eq(invitationCodes.codeHash, hash)),
        ),
      ),
    /** How many invitations came back undeliverable or vacant (replacing the count before), audited. */
    setNotEligible: (userId: number, mailingId: number, notEligible: number, before: number) =>
      store.transaction(async (tx) => {
        await tx.update(mailings).set({ notEligible }).where(eq(mailings.id, mailingId));
        await audit(tx, tables, { userId, action: 'mailing.not-eligible', entity: 'mailing', entityId: mailingId, details: { before, after: notEligible } });
      }),
    /** Per mailing, how many counted responses answered each number of scale items (voided responses are left out). */
    answeredScaleItems: () =>
      store.read((db) =>
        store.rows<{ mailingId: number; answered: number; responses: number }>(
          db,
          sql`SELECT r.mailing_id AS "mailingId", coalesce(a.answered, 0) AS "answered", count(*) AS "responses"
            FROM responses r LEFT JOIN (
              SELECT a.response_id, count(*) AS answered FROM answers a JOIN questions q ON q.id = a.question_id
              WHERE q.kind = 'scale' AND a.value_number IS NOT NULL GROUP BY a.response_id
            ) a ON a.response_id = r.id
            WHERE r.mailing_id IS NOT NULL AND NOT r.voided GROUP BY r.mailing_id, coalesce(a.answered, 0)`,
        ),
      ),
    /** Scale items per survey: what a complete is measured against. */
    scaleItems: () =>
      store.read((db) =>
        store.rows<{ surveyId: number; items: number }>(
          db,
          sql`SELECT survey_id AS "surveyId", count(*) AS "items" FROM questions WHERE kind = 'scale' GROUP BY survey_id`,
        ),
      ),
    /**
     * On PostgreSQL every row keeps the id of the transaction that last wrote it (xmin), and a spent code's would be
     * its response's: rewriting all the mailing's spent codes in a transaction of their own gives them one id together.
     * SQLite keeps no such id.
     */
    unlinkSpent: (mailingId: number) =>
      store.dialect === 'postgres'
        ? store.transaction((tx) => store.execute(tx, sql`UPDATE invitation_codes SET spent = TRUE WHERE mailing_id = ${mailingId} AND spent`), {
            invalidates: [],
          })
        : Promise.resolve(0),
    surveysAndNeighborhoods: () =>
      store.read(async (db) => ({
        surveys: await db.select().from(surveys).orderBy(asc(surveys.id)),
        neighborhoods: await db.select().from(neighborhoods).where(eq(neighborhoods.retired, false)).orderBy(asc(neighborhoods.name)),
      })),
  };
}

/**
 * Spends a code inside the transaction `tx` that stores its answer: true when it was unspent, false when it was
 * already used. The conditional update decides between concurrent uses: on PostgreSQL the second waits for the first
 * transaction, then finds the code spent.
 */
export async function spendCode(tx: Db, store: Pick<Store, 'execute'>, hash: string): Promise<boolean> {
  return (await store.execute(tx, sql`UPDATE invitation_codes SET spent = TRUE WHERE code_hash = ${hash} AND NOT spent`)) === 1;
}

export type MailingRepository = ReturnType<typeof createMailingRepository>;
