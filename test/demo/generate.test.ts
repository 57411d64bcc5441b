import { and, avg, count, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import t from 'tap';
import { addDays } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { generateDemo } from '../../src/demo/generate.js';
import { openTestStore } from '../helper/app.js';

const open = async (t: Parameters<typeof openTestStore>[0]) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  return store;
};

// Content only: response ids are random, so they differ between two runs of the same seed.
async function fingerprint(store: Store) {
  const { answers, responses } = store.tables;
  const rows = await store.read((db) =>
    db
      .select({
        day: responses.submittedOn,
        neighborhoodId: responses.neighborhoodId,
        questionId: answers.questionId,
        number: answers.valueNumber,
        text: answers.valueText,
      })
      .from(responses)
      .innerJoin(answers, eq(answers.responseId, responses.id)),
  );
  const days = rows.map((r) => r.day).sort();
  const checksum = rows.reduce(
    (sum, r) => sum + (Date.parse(r.day) / 86_400_000) * 131 + r.neighborhoodId * 17 + r.questionId * 7 + (r.number ?? r.text?.length ?? 0),
    0,
  );
  return { n: rows.length, checksum, first: days[0], last: days.at(-1) };
}

t.test('the demo is deterministic for a seed and date, covers 24 months and tells its stories', async (t) => {
  // Determinism on small cities (the same code path at a lower daily rate: about 500 responses and 5,000 answers each,
  // every one in the checksum), then one full-size demo.
  const prints = [];
  for (const seed of [1, 1, 7]) {
    const store = await open(t);
    await generateDemo(store, { seed, asOf: '2026-06-15', passwordCost: 10, dailyRate: 0.1 });
    prints.push(await fingerprint(store));
  }
  const [a, b, c] = prints;
  t.same(a, b, 'same seed, same data');
  t.not(a.checksum, c.checksum, 'another seed, other data');

  const store = await open(t);
  const { events, neighborhoods, responseScores, responses, staffUsers } = store.tables;
  // How long this takes is measured by the bench (`demo.generateMs`), not asserted here.
  const { responses: generated } = await generateDemo(store, { seed: 1, asOf: '2026-06-15', passwordCost: 10 });
  t.ok(generated > 2_500 && generated < 3_400, `Chicago's rate for 172,000 residents: about 2,900 responses (${generated})`);
  const span = await fingerprint(store);
  t.equal(span.first, '2024-07-01', '24 whole months ending with the as-of month');
  t.equal(span.last, '2026-06-15');

  const counts = await store.read(async (db) => ({
    neighborhoods: (await db.select({ n: count() }).from(neighborhoods))[0].n,
    staff: (await db.select({ n: count() }).from(staffUsers))[0].n,
  }));
  t.same(counts, { neighborhoods: 8, staff: 2 });
  const demoEvents = await store.read((db) => db.select().from(events));
  const eventTitled = (prefix: string) => demoEvents.find((e) => e.title.en.startsWith(prefix))!;
  const broughtIn = await store.read((db) =>
    db
      .select({ channel: responses.channel })
      .from(responses)
      .where(eq(responses.eventId, eventTitled('Cookout').id)),
  );
  t.ok(broughtIn.length > 0, `the cookout's QR cards brought in responses (${broughtIn.length})`);
  t.same(new Set(broughtIn.map((r) => r.channel)), new Set(['qr']));
  const month = store.sql.monthOf(responses.submittedOn);
  const monthly = await store.read((db) =>
    db.select({ n: count() }).from(responses).where(lt(responses.submittedOn, '2026-06-01')).groupBy(responses.neighborhoodId, month),
  );
  const mean = monthly.reduce((sum, m) => sum + m.n, 0) / monthly.length;
  t.ok(mean > 9 && mean < 21, `a neighborhood gets 9–21 responses a month, as real departments do (mean ${mean.toFixed(1)})`);

  // The stories: trust in Riverside after the cookout beats the months before it; Mill District dips after the incident.
  const trustAround = async (prefix: string, beforeDays: number, afterDays: number) => {
    const event = eventTitled(prefix);
    const trust = (from: SQL, to: SQL) =>
      store.read(async (db) => {
        const [row] = await db
          .select({ mean: avg(responseScores.score).mapWith(Number) })
          .from(responses)
          .innerJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.measure, 'trust')))
          .where(and(eq(responses.neighborhoodId, event.neighborhoodId!), from, to));
        return row.mean;
      });
    return {
      before: await trust(gte(responses.submittedOn, addDays(event.occurredOn, -beforeDays)), lt(responses.submittedOn, event.occurredOn)),
      after: await trust(gt(responses.submittedOn, event.occurredOn), lte(responses.submittedOn, addDays(event.occurredOn, afterDays))),
    };
  };
  const cookout = await trustAround('Cookout with officers at Riverside Park', 56, 84);
  t.ok(cookout.after - cookout.before > 5, `trust up after the cookout (${cookout.before.toFixed(1)} → ${cookout.after.toFixed(1)})`);
  const incident = await trustAround('Use-of-force incident on Mill Street', 56, 56);
  t.ok(incident.before - incident.after > 5, `trust down after the incident (${incident.before.toFixed(1)} → ${incident.after.toFixed(1)})`);

  // One completed mailing: its answered codes spent, its responses marked with it, inside its dates.
  const [mailing] = await store.read((db) => db.select().from(store.tables.mailings));
  t.ok(mailing.closesOn < '2026-06-15' && mailing.notEligible > 0, 'closed, with returns recorded');
  const [row] = await store.read((db) =>
    store.rows<{ spent: number; answered: number; first: string; last: string }>(
      db,
      sql`SELECT (SELECT count(*) FROM invitation_codes WHERE spent) AS "spent", count(*) AS "answered", min(submitted_on) AS "first", max(submitted_on) AS "last"
        FROM responses WHERE mailing_id = ${mailing.id}`,
    ),
  );
  t.equal(row.answered, row.spent, 'one response per spent code');
  const rate = row.answered / (mailing.invitations - mailing.notEligible);
  t.ok(rate > 0.15 && rate < 0.25, `a response rate of 15–25% (${(100 * rate).toFixed(1)}%)`);
  t.ok(row.first > mailing.mailedOn && row.last <= mailing.closesOn, 'answered between mailing and closing');
});
