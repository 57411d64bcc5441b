import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import { rebuildRollups } from '../../src/ops/rollups.js';
import { bucketStart } from '../../src/stats/buckets.js';
import { TRUST_MEASURE } from '../../src/stats/scoring.js';
import { VOLUME_DAYS, VOLUME_FACTOR } from '../../src/survey/quarantine.js';
import { createResponseVoider } from '../../src/survey/response-recorder.js';
import { createRollupSums } from '../../src/survey/rollups.js';
import { multipart, rollupsAndRecomputation, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, csrfFrom, form, testDialect } from '../helper/app.js';

type Row = Record<string, unknown>;

/** Rows that differ between two reads of the rollups (float sums to rounding), or a count when their lengths differ. */
function drifted(actual: Row[], expected: Row[]): unknown[] {
  if (actual.length !== expected.length) return [{ rows: actual.length, expected: expected.length }];
  return actual.flatMap((a, i) =>
    Object.entries(a).some(([k, v]) => {
      const e = expected[i][k];
      return typeof v === 'number' && (k === 'sum' || k === 'sum_squares') ? Math.abs(v - Number(e)) > 1e-6 * Math.max(1, Math.abs(v)) : v !== e;
    })
      ? [{ actual: a, expected: expected[i] }]
      : [],
  );
}

const countOf = async (app: FastifyInstance, query: ReturnType<typeof sql>) =>
  Number(Object.values((await app.store.read((db) => app.store.rows<Row>(db, query)))[0])[0]);

/** A resident's form, posted from its own address so the rate limit never stops the test. */
async function submit(app: FastifyInstance, i: number, answers: Record<string, string>) {
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `198.51.100.${i % 250}` },
    remoteAddress: '10.0.0.1',
    payload: form(answers),
  });
  if (res.statusCode !== 303) throw new Error(`submission ${i}: ${res.statusCode}`);
}

t.test(
  'the four rollups equal GROUP BYs over the live raw rows through submissions, voids, a quarantine and an import; a rebuild gives them back',
  async (t) => {
    const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1', SUBMIT_RATE_LIMIT: '1000' });
    const [riverside, oldTown] = await addNeighborhoods(store, 'Riverside', 'Old Town');
    const { asAdmin, adminJar } = await staffSessions(app);
    const check = async (when: string) => {
      const { stored, recomputed } = await rollupsAndRecomputation(app);
      t.same(drifted(stored, recomputed), [], `${when}: every rollup equals the raw rows`);
      return stored;
    };

    // Backdated responses over two months, with choice and text answers that differ only in case and spaces, and the
    // longest answer in a CJK script (about 3,000 bytes: more than a PostgreSQL B-tree entry holds).
    let seed = 7;
    const cjk = Array.from({ length: 1000 }, () => String.fromCodePoint(0x4e00 + ((seed = (seed * 48271) % 2147483647) % 20000))).join('');
    const issues = ['Speeding', ' speeding ', 'SPEEDING', 'Noise', 'noise  ', '', cjk];
    const ids = await seedResponses(
      app,
      Array.from({ length: 48 }, (_, i) => ({
        neighborhoodId: i % 3 ? riverside.id : oldTown.id,
        submittedOn: `2026-0${3 + (i % 2)}-${String(1 + (i % 27)).padStart(2, '0')}`,
        answers: {
          respect: i % 11,
          listening: (i * 7) % 11,
          fairness: 1 + (i % 5),
          ...(i % 4 ? { safety: (i * 3) % 11 } : {}),
          ...(i % 5 ? { gender: i % 2 ? 'woman' : 'man', age_band: i % 3 ? '25_34' : '65_plus' } : {}),
          ...(i % 6 ? { top_issue: issues[i % issues.length] } : {}),
        },
      })),
    );
    // Today's, through the form.
    for (let i = 0; i < 12; i++)
      await submit(app, i, {
        neighborhood: i % 2 ? 'riverside' : 'old-town',
        q_respect: String(i % 11),
        q_listening: String((i * 5 + 2) % 11),
        q_gender: i % 3 ? 'woman' : 'man',
        q_top_issue: issues[i % issues.length],
      });
    const stored = await check('after submissions');
    for (const kind of ['monthly', 'group', 'answer', 'text'])
      t.ok(
        stored.some((r) => r.kind === kind),
        `${kind} rollups written`,
      );
    t.ok(
      stored.some((r) => r.kind === 'text' && r.text === 'speeding' && Number(r.n) > 1),
      'texts differing in case and spaces share a cell',
    );

    const voider = createResponseVoider(store, 'UTC');
    await store.transaction((tx) => voider.setVoided(tx, { ids: ids.filter((_, i) => i % 4 === 0 || i % 9 === 0) }, true, 'test'));
    await check('after voids');
    await store.transaction(async (tx) => {
      for (const id of ids.filter((_, i) => i % 8 === 0)) await voider.setVoided(tx, { ids: [id] }, false);
    });
    await check('after restores');
    await store.transaction((tx) => voider.setVoided(tx, { ids }, true, 'all'));
    const emptied = await countOf(app, sql`SELECT count(*) AS n FROM text_rollups WHERE month < ${'2026-05-01'}`);
    t.equal(emptied, 0, 'cells nobody is left in are deleted');
    await check('after voiding every backdated one');
    await store.transaction((tx) => voider.setVoided(tx, { ids }, false));
    await check('after restoring them all');

    // Straight-lined answers in one neighborhood-day: from the sixth on, the day's are held, then counted by an admin.
    for (let i = 0; i < 8; i++)
      await submit(app, 100 + i, {
        neighborhood: 'riverside',
        q_safety: '5',
        q_respect: '5',
        q_listening: '5',
        q_fairness: '5',
        q_gender: 'woman',
        q_top_issue: i % 2 ? 'Parking' : 'parking ',
      });
    t.ok((await countOf(app, sql`SELECT count(*) AS n FROM responses WHERE void_reason = 'held for review (quarantine)'`)) >= 6, 'a burst is held');
    await check('while held');
    const burst = await countOf(app, sql`SELECT id FROM quarantines`);
    const counted = await asAdmin.post(`/admin/quarantine/${burst}/count`, { reason: 'a town hall', confirmed: 'yes' }, '/admin/quarantine');
    t.equal(counted.statusCode, 303);
    await check('after the burst is counted');

    const csv = [
      'submitted_on,neighborhood,channel,language,safety,respect,listening,top_issue,gender',
      '2026-03-02,riverside,,,7,8,6," Speeding",woman',
      '2026-03-03,old-town,paper,es,dk,10,9,NOISE,man',
      '2026-04-03,old-town,paper,en,3,,,,prefer_not',
    ].join('\r\n');
    const page = await app.inject({ url: '/admin/import', headers: { cookie: adminJar.header() } });
    const body = multipart({ _csrf: csrfFrom(page.body) ?? '', survey: 'community-trust' }, { name: 'paper.csv', content: csv });
    const imported = await app.inject({
      method: 'POST',
      url: '/admin/import',
      headers: { cookie: adminJar.header(), 'content-type': body.contentType },
      payload: body.payload,
    });
    t.equal(imported.statusCode, 303);
    const final = await check('after an import');

    const rebuilt = await rebuildRollups(store, 'UTC');
    t.equal(rebuilt.rollups, final.length, 'the rebuild wrote as many cells');
    const again = await check('after a rebuild');
    t.same(drifted(again, final), [], 'the rebuild gives back every cell, cell keys included');
  },
);

t.test("weighting is marked stale up to the month of the deployment's date, not UTC's", async (t) => {
  const { store } = await buildTestApp(t);
  const survey = await countOf({ store } as FastifyInstance, sql`SELECT id FROM surveys WHERE slug = 'community-trust'`);
  const places = await addNeighborhoods(store, 'Chicago', 'Auckland');
  // One instant, two zones: in Chicago 2026-12-01T03:00Z is still November 30; in Auckland 2026-11-30T12:00Z is December 1.
  const cases = [
    { place: places[0], today: dateIn('America/Chicago', new Date('2026-12-01T03:00:00Z')), last: '2026-11-01' },
    { place: places[1], today: dateIn('Pacific/Auckland', new Date('2026-11-30T12:00:00Z')), last: '2026-12-01' },
  ];
  for (const { place, today, last } of cases) {
    const sums = createRollupSums();
    sums.add({ surveyId: survey, neighborhoodId: place.id, submittedOn: '2026-10-15', cellKey: 1 }, [[TRUST_MEASURE, 50]], []);
    await store.transaction((tx) => sums.addTo(tx, store, today));
    const months = await store.read((db) =>
      store.rows<{ month: string }>(db, sql`SELECT month FROM weighting_runs WHERE neighborhood_id = ${place.id} ORDER BY month`),
    );
    t.same(
      months.map((m) => m.month),
      ['2026-10-01', '2026-11-01', '2026-12-01'].filter((month) => month <= last),
      `${place.name} (${today}): October and the months after it up to ${last.slice(0, 7)}`,
    );
  }
});

t.test('200 submissions at once to one neighborhood and day: each acknowledged, the rollups equal the stored responses', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1', SUBMIT_RATE_LIMIT: '1000' });
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const count = 200;
  // 45 a day over the four weeks before: 200 today is no burst (VOLUME_FACTOR × 45 > 200), so every one writes the rollups.
  const today = dateIn(app.config.TIME_ZONE);
  const history = Array.from({ length: 45 * VOLUME_DAYS }, (_, i) => ({
    neighborhoodId: riverside.id,
    submittedOn: addDays(today, -1 - (i % VOLUME_DAYS)),
    answers: { safety: i % 11, respect: (i * 3) % 11, listening: (i * 7 + 1) % 11 },
  }));
  await seedResponses(app, history);
  t.ok(VOLUME_FACTOR * 45 > count, 'below the volume rule');
  const results = await Promise.allSettled(
    // Varied answers: no straight-lining either.
    Array.from({ length: count }, (_, i) =>
      submit(app, i, {
        neighborhood: 'riverside',
        q_safety: String(i % 11),
        q_respect: String((i * 3) % 11),
        q_listening: String((i * 7 + 1) % 11),
        q_fairness: String(1 + (i % 5)),
        q_gender: i % 2 ? 'woman' : 'man',
        q_top_issue: `issue ${i % 4}`,
      }),
    ),
  );
  t.same(
    results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : [])),
    [],
    'every submission acknowledged (no 500, no deadlock)',
  );
  t.equal(await countOf(app, sql`SELECT count(*) AS n FROM responses WHERE submitted_on = ${today} AND NOT voided`), count, 'each stored once, none held');
  const { stored, recomputed } = await rollupsAndRecomputation(app);
  t.same(drifted(stored, recomputed), [], 'every rollup equals the live responses');
  const month = bucketStart(today, 'month');
  const live = await countOf(app, sql`SELECT count(*) AS n FROM responses WHERE neighborhood_id = ${riverside.id} AND submitted_on >= ${month} AND NOT voided`);
  const rolled = await countOf(
    app,
    sql`SELECT n FROM monthly_rollups WHERE neighborhood_id = ${riverside.id} AND month = ${month} AND measure = ${TRUST_MEASURE}`,
  );
  t.equal(rolled, live, "this month's trust rollup counts every live response of the month once");
});

t.test(
  'writers of several neighborhoods at once mark their weighting in one order: two given them in opposite orders do not deadlock',
  { skip: testDialect === 'postgres' ? false : "PostgreSQL's row locks (SQLite's writers take turns)" },
  async (t) => {
    const { store } = await buildTestApp(t);
    const survey = await countOf({ store } as FastifyInstance, sql`SELECT id FROM surveys WHERE slug = 'community-trust'`);
    const [first, second] = await addNeighborhoods(store, 'First', 'Second');
    const today = '2026-03-20';
    const sums = (...places: { id: number }[]) => {
      const made = createRollupSums();
      for (const place of places) made.add({ surveyId: survey, neighborhoodId: place.id, submittedOn: '2026-03-10', cellKey: 1 }, [[TRUST_MEASURE, 50]], []);
      return made;
    };
    await store.transaction((tx) => sums(first, second).addTo(tx, store, today));
    const waiting = async (n: number) => {
      for (;;) {
        const [{ count }] = await store.read((db) =>
          store.rows<{ count: number }>(
            db,
            sql`SELECT count(*)::int AS "count" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          ),
        );
        if (count >= n) return;
        await sleep(10);
      }
    };
    // Another transaction holds the first neighborhood's row; one writer waits for it, the other (in the other order)
    // takes the second's row and waits behind; once released, each needs what the other holds unless both go in one order.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const held = new Promise<void>((resolve) => (locked = resolve));
    const holder = store.transaction(async (tx) => {
      await store.execute(tx, sql`SELECT 1 FROM weighting_runs WHERE neighborhood_id = ${first.id} FOR UPDATE`);
      locked();
      await released;
    });
    await held;
    const forward = store.transaction((tx) => sums(first, second).addTo(tx, store, today));
    await waiting(1);
    const backward = store.transaction((tx) => sums(second, first).addTo(tx, store, today));
    await waiting(2);
    release();
    const results = await Promise.allSettled([holder, forward, backward]);
    t.same(
      results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : [])),
      [],
      'both written (no "deadlock detected")',
    );
    const counts = await store.read((db) =>
      store.rows<{ n: number }>(db, sql`SELECT n FROM monthly_rollups WHERE measure = ${TRUST_MEASURE} ORDER BY neighborhood_id`),
    );
    t.same(
      counts.map((c) => c.n),
      [3, 3],
      'each neighborhood counted by all three writes',
    );
  },
);
