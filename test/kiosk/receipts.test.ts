import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { addDays, dateIn } from '../../src/dates.js';
import { answerHash, claimReceipt, KIOSK_REPLAY_DAYS, purgeReceipts } from '../../src/kiosk/receipts.js';
import { kioskQueuePass } from '../../src/outreach/links.js';
import { addNeighborhoods, buildTestApp, createStaff, form, rowCount, testDialect } from '../helper/app.js';

const answers = { neighborhood: 'riverside', q_respect: '7', q_listening: '6', lang: 'en', channel: 'kiosk' };
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const built = await buildTestApp(t, env);
  const [riverside] = await addNeighborhoods(built.store, 'Riverside');
  const admin = await createStaff(built.app, 'admin@example.org', 'a long enough passphrase', 'admin');
  const survey = (await built.app.surveys.findWithQuestions('community-trust'))!.survey;
  const today = dateIn(built.config.TIME_ZONE);
  /** A kiosk link for `day` (staff can only make them for today and later; an older one stands for one made then). */
  const link = async (day: string) => {
    const { token, hash } = await built.app.kioskLinks.issue({ surveyId: survey.id, neighborhoodId: riverside.id, eventId: null }, day, admin.id, {});
    return { token, hash, pass: kioskQueuePass(built.app, { day, hash }) };
  };
  /** Sends a queued answer as the tablet's sender does. */
  const send = (body: Record<string, unknown>) =>
    built.app.inject({ method: 'POST', url: '/surveys/community-trust/kiosk-answers', payload: body, headers: { 'sec-fetch-site': 'same-origin' } });
  const stored = (where = sql`TRUE`) =>
    built.store.read((db) => built.store.rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM responses WHERE channel = 'kiosk' AND ${where}`));
  return { ...built, today, admin, link, send, count: async (where?: ReturnType<typeof sql>) => (await stored(where))[0].n };
}

t.test('a kiosk page carries its pass; a queued answer is stored once, dated the day it was given, and a replay gets the same success', async (t) => {
  const { app, store, today, link, send, count, logs } = await setup(t);
  const { token, pass } = await link(today);
  const open = await app.inject(`/kiosk/${token}`);
  const device = { cookie: `cg_kiosk=${open.cookies.find((c) => c.name === 'cg_kiosk')!.value}` };
  const page = await app.inject({ url: '/surveys/community-trust?neighborhood=riverside&channel=kiosk', headers: device });
  t.match(page.body, `data-kiosk-pass="${pass}"`, 'the kiosk form carries its link’s pass');
  t.match(page.body, '/static/js/kiosk-offline.js');
  t.match(page.body, 'your answers wait on it', 'the privacy notice says answers may wait on the tablet');
  t.notMatch((await app.inject('/surveys/community-trust')).body, 'data-kiosk-pass', 'no pass on other devices');
  t.notMatch((await app.inject('/surveys/community-trust?lang=es')).body, 'esperan en ella', 'nor the notice');
  const sw = await app.inject('/static/js/kiosk-sw.js');
  t.equal(sw.headers['service-worker-allowed'], '/surveys/', 'the service worker may serve the survey pages');

  const day = addDays(today, -3);
  const old = await link(day);
  const answerId = randomUUID();
  const first = await send({ answerId, day, pass: old.pass, fields: answers });
  t.equal(first.statusCode, 200);
  t.same(first.json(), { saved: true });
  const again = await send({ answerId, day, pass: old.pass, fields: { ...answers, q_respect: '2' } });
  t.equal(again.statusCode, first.statusCode, 'a replay gets the same status');
  t.equal(again.body, first.body, 'and the same body');
  t.equal(await count(), 1, 'stored once');
  t.equal(await count(sql`submitted_on = ${day}`), 1, 'dated the day it was given');

  const receipts = await store.read((db) => store.rows<Record<string, unknown>>(db, sql`SELECT * FROM kiosk_receipts`));
  t.same(receipts, [{ answer_hash: answerHash(answerId), kiosk_day: day }], 'only the hash of the id and the kiosk day: no time, no response');
  t.not(receipts[0].answer_hash, answerId);
  t.notOk(
    logs.some((line) => line.includes(answerId) || line.includes(answerHash(answerId)) || line.includes(old.pass)),
    'neither id nor pass is logged',
  );

  // The tablet's online sending (the form with the page's id) is the same answer as its queued copy.
  const formId = randomUUID();
  const post = () =>
    app.inject({ method: 'POST', url: '/surveys/community-trust', headers: { ...formHeaders, ...device }, payload: form({ ...answers, answer_id: formId }) });
  const posted = await post();
  t.equal(posted.statusCode, 303);
  const reposted = await post();
  t.equal(reposted.statusCode, 303);
  t.equal(reposted.headers.location, posted.headers.location, 'a form sent again is answered as the first time');
  const queued = await send({ answerId: formId, day: today, pass, fields: answers });
  t.same(queued.json(), { saved: true });
  t.equal(await count(sql`submitted_on = ${today}`), 1, 'the form and its queued copy are one response');
  // Another device cannot use an id to claim a kiosk answer: without the kiosk cookie the id is ignored.
  const web = () => app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...answers, answer_id: formId }) });
  t.equal((await web()).statusCode, 303);
  t.equal((await web()).statusCode, 303);
  t.equal(await rowCount(store, "responses WHERE channel = 'web'"), 2, 'ids mean nothing off a kiosk');
});

t.test('concurrent replays of one queue store each answer once', async (t) => {
  const { today, link, send, count } = await setup(t);
  const { pass } = await link(today);
  const queue = [randomUUID(), randomUUID(), randomUUID()].map((answerId, i) => ({ answerId, day: today, pass, fields: { ...answers, q_respect: String(i) } }));
  const replies = await Promise.all([...queue, ...queue, ...queue, ...queue].map((answer) => send(answer)));
  t.same(
    replies.map((r) => r.statusCode),
    Array(12).fill(200),
  );
  t.ok(
    replies.every((r) => r.body === replies[0].body),
    'every sending answered alike',
  );
  t.equal(await count(), 3, 'three answers, three responses');
});

t.test('a queued answer is accepted up to 7 days later, on its link’s day, from a link that was not revoked', async (t) => {
  const { app, admin, today, link, send, count } = await setup(t);
  const weekAgo = addDays(today, -KIOSK_REPLAY_DAYS);
  const tooOld = addDays(today, -KIOSK_REPLAY_DAYS - 1);
  const ofWeekAgo = await link(weekAgo);
  const ofTooOld = await link(tooOld);
  const ofToday = await link(today);
  const answer = (day: string, pass: string) => ({ answerId: randomUUID(), day, pass, fields: answers });

  t.equal((await send(answer(weekAgo, ofWeekAgo.pass))).statusCode, 200, '7 days later');
  const old = await send(answer(tooOld, ofTooOld.pass));
  t.equal(old.statusCode, 422, '8 days later');
  t.match(old.json(), { message: /up to 7 days later/ });
  const future = await send(answer(addDays(today, 1), ofToday.pass));
  t.equal(future.statusCode, 422);
  t.match(future.json(), { message: /later than today/ });
  const otherDay = await send(answer(addDays(today, -1), ofToday.pass));
  t.equal(otherDay.statusCode, 422, 'not the link’s day');
  t.match(otherDay.json(), { message: /kiosk link was for/ });
  t.equal(
    (
      await send(
        answer(
          today,
          ofToday.pass.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        ),
      )
    ).statusCode,
    422,
    'a tampered pass',
  );
  const cookieValue = (await app.inject(`/kiosk/${ofToday.token}`)).cookies.find((c) => c.name === 'cg_kiosk')!.value;
  t.equal((await send(answer(today, decodeURIComponent(cookieValue)))).statusCode, 422, 'a kiosk cookie is no pass');
  await app.kioskLinks.revoke(ofToday.hash, admin.id);
  const revoked = await send(answer(today, ofToday.pass));
  t.equal(revoked.statusCode, 422, 'a revoked link');
  t.match(revoked.json(), { message: /revoked/ });
  t.equal(await count(), 1, 'only the answer in the window was stored');

  const missing = await send({ day: today, pass: ofWeekAgo.pass, fields: answers });
  t.equal(missing.statusCode, 400);
  t.match(missing.json(), { field: 'answerId' });
  const invalid = await send({ ...answer(weekAgo, ofWeekAgo.pass), fields: { ...answers, neighborhood: 'nowhere', q_respect: '12' } });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), { field: 'neighborhood', fields: { neighborhood: /neighborhood/, q_respect: /.+/ } });
  t.equal((await app.inject({ method: 'POST', url: '/surveys/none/kiosk-answers', payload: answer(weekAgo, ofWeekAgo.pass) })).statusCode, 404);
  const crossSite = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust/kiosk-answers',
    payload: answer(weekAgo, ofWeekAgo.pass),
    headers: { 'sec-fetch-site': 'cross-site' },
  });
  t.equal(crossSite.statusCode, 403, 'not from another site');
});

t.test('queued answers are never held for volume, and a valid pass is not rate limited', async (t) => {
  const { today, link, send, count } = await setup(t, { SUBMIT_RATE_LIMIT: '2' });
  const day = addDays(today, -1);
  const { pass } = await link(day);
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    statuses.push(
      (await send({ answerId: randomUUID(), day, pass, fields: { ...answers, q_respect: String(i % 11), q_listening: String((i + 3) % 11) } })).statusCode,
    );
  }
  t.same(statuses, Array(40).fill(200));
  t.equal(await count(sql`NOT voided`), 40, 'a cookout’s queue of 40 is counted, not held');
  const bad = [];
  for (let i = 0; i < 3; i++) bad.push((await send({ answerId: randomUUID(), day, pass: 'forged', fields: answers })).statusCode);
  t.same(bad, [422, 422, 429], 'without a valid pass the per-client limit applies');
});

t.test('receipts go 30 days after their kiosk day, at start and every hour', async (t) => {
  const { store, config, today } = await setup(t);
  await store.transaction(async (tx) => {
    for (const days of [31, 30, 29]) await claimReceipt(tx, store, `answer-${days}`, addDays(today, -days));
  });
  const days = async () =>
    (await store.read((db) => store.rows<{ day: string }>(db, sql`SELECT kiosk_day AS "day" FROM kiosk_receipts ORDER BY kiosk_day`))).map((r) => r.day);
  t.equal(await purgeReceipts(store, today), 1);
  t.same(await days(), [addDays(today, -30), addDays(today, -29)], 'the 31-day-old receipt is gone, the others stay');
  t.equal(await purgeReceipts(store, addDays(today, 1)), 1, 'a day later, the next');
  await store.transaction((tx) => claimReceipt(tx, store, 'answer-40', addDays(today, -40)));
  // Another server started on the same database purges at start.
  const second = await buildApp({ config, store });
  await second.close();
  t.same(await days(), [addDays(today, -29)]);
});

t.test(
  'nothing ties a queued answer to the tablet: the id is not stored, the receipt names no response',
  { skip: testDialect !== 'sqlite' && "reads SQLite's own file" },
  async (t) => {
    const { store, database, today, link, send } = await setup(t);
    const { pass } = await link(today);
    const answerId = randomUUID();
    t.equal((await send({ answerId, day: today, pass, fields: answers })).statusCode, 200);
    const columns = (table: string) => (database.sqlite.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name).sort();
    t.same(columns('kiosk_receipts'), ['answer_hash', 'kiosk_day'], 'a receipt holds the hash and the day only');
    t.notOk(
      columns('responses').some((c) => /answer|receipt|device|hash/.test(c)),
      'a response names no receipt',
    );
    t.throws(() => database.sqlite.prepare('SELECT rowid FROM kiosk_receipts').all(), /no such column/, 'no rowid keeps the order receipts came in');
    await store.read((db) => store.rows(db, sql`SELECT 1`));
    const files = [database.path, `${database.path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
    t.ok(
      files.every((bytes) => !bytes.includes(answerId) && !bytes.includes(pass)),
      'neither the answer’s id nor its pass is in the database or its log',
    );
    t.ok(
      files.some((bytes) => bytes.includes(answerHash(answerId))),
      'its hash is (the check can see what is written)',
    );
  },
);
