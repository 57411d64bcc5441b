import { parse } from 'csv-parse/sync';
import { getTableColumns, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { codeHash } from '../../src/mailings/codes.js';
import { WRONG_CODES } from '../../src/mailings/routes.js';
import { auditActions, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, createStaff, form, login, testDialect } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

// 6 of the standard survey's 7 scale questions answered: a complete (at least 80%).
const completeAnswers = {
  q_safety: '6',
  q_respect: '8',
  q_listening: '5',
  q_fairness: '4',
  q_reliability: 'dk',
  q_responsiveness: '2',
  q_confidence: '7',
  q_age_band: '25_34',
};
// 2 of 7: a partial.
const partialAnswers = { q_safety: '3', q_respect: '9' };

type Admin = Awaited<ReturnType<typeof staffSessions>>['asAdmin'];

/** Makes a mailing through the admin form; returns its id and its codes from the CSV (the only place they exist). */
async function makeMailing(app: FastifyInstance, asAdmin: Admin, fields: Record<string, string> = {}) {
  const today = dateIn(app.config.TIME_ZONE);
  const res = await asAdmin.post(
    '/admin/mailings',
    {
      survey: 'community-trust',
      neighborhood: 'riverside',
      name: 'Riverside spring',
      invitations: '5',
      mailedOn: today,
      closesOn: addDays(today, 30),
      ...fields,
    },
    '/admin/mailings',
  );
  if (res.statusCode !== 303) throw new Error(`mailing not made: ${res.statusCode} ${res.body.slice(0, 2000)}`);
  const id = Number(/\/admin\/mailings\/(\d+)$/.exec(res.headers.location as string)![1]);
  const csv = await asAdmin.get(`/admin/mailings/${id}/codes.csv`);
  const rows: string[][] = parse(csv.body);
  return { id, codes: rows.slice(1).map(([code]) => code), rows };
}

const answer = (app: FastifyInstance, code: string, answers: Record<string, string> = completeAnswers, extra: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/invitation/answers',
    headers: formHeaders,
    payload: form({ invitation: code, channel: 'qr', lang: 'en', ...answers, ...extra }),
  });

const mailingResponses = (store: Store) =>
  store.read((db) =>
    store.rows<{ mailingId: number | null; neighborhoodId: number; channel: string }>(
      db,
      sql`SELECT mailing_id AS "mailingId", neighborhood_id AS "neighborhoodId", channel FROM responses ORDER BY id`,
    ),
  );

const spentCodes = async (store: Store) =>
  (await store.read((db) => store.rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM invitation_codes WHERE spent`)))[0].n;

t.test('a mailing keeps only hashes of its codes; its letters and CSV exist only for the admin who made it, while kept', async (t) => {
  const { app, store, logs } = await buildTestApp(t, { LOG_LEVEL: 'info' });
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin, asLiaison } = await staffSessions(app);
  t.equal((await asAdmin.get('/admin')).body.includes('href="/admin/mailings"'), true, 'linked from the admin home');
  const { id, codes, rows } = await makeMailing(app, asAdmin);

  t.same(rows[0], ['code', 'link']);
  t.equal(codes.length, 5);
  t.equal(new Set(codes).size, 5, 'distinct codes');
  for (const [code, link] of rows.slice(1)) {
    t.match(code, /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/, 'Crockford base32, grouped');
    t.equal(link, `${app.config.PUBLIC_URL}/i/${code.replace('-', '')}`);
  }

  const stored = await store.read((db) =>
    store.rows<{ codeHash: string; spent: unknown }>(db, sql`SELECT code_hash AS "codeHash", spent FROM invitation_codes`),
  );
  t.same(stored.map((r) => r.codeHash).sort(), codes.map((c) => codeHash(c.replace('-', ''))).sort(), 'only the SHA-256 of each code is stored');
  // No table holds a code in plain text (nor the audit log).
  const everything = JSON.stringify(
    await store.read((db) =>
      Promise.all(['mailings', 'invitation_codes', 'audit_log', 'responses', 'settings'].map((table) => store.rows(db, sql`SELECT * FROM ${sql.raw(table)}`))),
    ),
  );
  for (const code of codes) {
    t.notOk(everything.includes(code.replace('-', '')), 'no code in the database');
    t.notOk(everything.includes(code), 'no grouped code in the database');
  }
  t.same(await auditActions(app), ['mailing.create']);

  const page = await asAdmin.get(`/admin/mailings/${id}`);
  t.match(page.body, 'Printable letters');
  const letters = await asAdmin.get(`/admin/mailings/${id}/letters`);
  t.equal(letters.statusCode, 200);
  t.equal(letters.body.match(/<article class="letter"/g)?.length, 5, 'one letter per code');
  for (const code of codes) t.match(letters.body, code);
  t.match(letters.body, 'Common Ground', "the department's name");
  t.match(letters.body, `${app.config.PUBLIC_URL}/invitation`);
  t.match(letters.body, 'Le invitamos a una encuesta breve', 'in Spanish too');
  const qr = await asAdmin.get(`/admin/mailings/${id}/letters/3.svg`);
  t.equal(qr.statusCode, 200);
  t.match(qr.headers['content-type'], 'image/svg+xml');
  t.equal((await asAdmin.get(`/admin/mailings/${id}/letters/6.svg`)).statusCode, 404);

  t.equal((await asLiaison.get(`/admin/mailings/${id}/codes.csv`)).statusCode, 403, 'liaisons never');
  // Another admin: the codes are not theirs to print.
  await createStaff(app, 'other@example.org', 'other admin password', 'admin');
  const other = (await login(app, 'other@example.org', 'other admin password')).jar;
  t.equal((await app.inject({ url: `/admin/mailings/${id}/codes.csv`, headers: { cookie: other.header() } })).statusCode, 410, 'not for another admin');
  t.equal((await asAdmin.get(`/admin/mailings/${id}/codes.csv`)).statusCode, 200, 'still for the admin who made it');
  const forget = await asAdmin.post(`/admin/mailings/${id}/forget`, {}, `/admin/mailings/${id}`);
  t.equal(forget.statusCode, 303);
  t.equal((await asAdmin.get(`/admin/mailings/${id}/letters`)).statusCode, 410, 'forgotten: no letters again');
  t.equal((await asAdmin.get(`/admin/mailings/${id}/codes.csv`)).statusCode, 410);
  t.match((await asAdmin.get(`/admin/mailings/${id}`)).body, 'can no longer be printed');

  // The codes work all the same: they are checked against their hashes.
  t.equal((await app.inject(`/i/${codes[0]}`)).statusCode, 200);
  const joined = logs.join('\n');
  t.ok(joined.length > 0, 'requests were logged');
  for (const code of codes) {
    t.notOk(joined.includes(code.replace('-', '')), 'no code in the logs');
    t.notOk(joined.includes(code), 'no grouped code in the logs');
  }
});

t.test('a resident answers once by the letter’s link, in the mailing’s neighborhood; the code is then spent', async (t) => {
  const { app, store, logs } = await buildTestApp(t, { LOG_LEVEL: 'info' });
  const [riverside] = await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin } = await staffSessions(app);
  const { id, codes } = await makeMailing(app, asAdmin);
  const code = codes[0].replace('-', '');

  const page = await app.inject(`/i/${code}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'action="/invitation/answers"');
  t.match(page.body, `name="invitation" value="${codes[0]}"`, 'the code travels in the form');
  t.match(page.body, /<strong>Your neighborhood:<\/strong> Riverside<\/p>/, 'the neighborhood is fixed');
  t.notMatch(page.body, 'Change neighborhood');
  t.notMatch(page.body, '<select id="field-neighborhood"');
  t.match(page.body, 'You were invited by letter');

  // Whatever neighborhood the form claims, the response is in the mailing's.
  const res = await answer(app, codes[0], { ...completeAnswers, neighborhood: 'old-town' });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/surveys\/community-trust\/thanks\?/);
  t.same(await mailingResponses(store), [{ mailingId: id, neighborhoodId: riverside.id, channel: 'qr' }]);
  t.equal(await spentCodes(store), 1);

  const again = await app.inject(`/i/${code}`);
  t.equal(again.statusCode, 409);
  t.match(again.body, 'This invitation was already used');
  t.match(again.body, /href="\/surveys\/community-trust\?lang[^"]*en">Anyone can still answer the open survey/, 'the open survey is offered');
  const resend = await answer(app, codes[0]);
  t.equal(resend.statusCode, 409);
  t.match(resend.body, 'already used');
  t.equal((await mailingResponses(store)).length, 1, 'one answer per invitation');
  t.notOk(logs.join('\n').includes(code), 'the code is not logged');

  // The admins' export says the answer came through this mailing, and nothing of the code.
  for (const format of ['wide', 'long']) {
    const exported = await asAdmin.get(`/admin/export.csv?survey=community-trust&format=${format}`);
    const [header, ...rows]: string[][] = parse(exported.body);
    const column = header.indexOf('mailing_id');
    t.ok(column > 0 && rows.length > 0 && rows.every((row) => row[column] === String(id)), `${format}: mailing_id ${id}`);
    t.notOk(exported.body.includes(code) || exported.body.includes(codes[0]) || exported.body.includes(codeHash(code)), `${format}: no code`);
  }
});

t.test('a typed code is read forgivingly; an invalid form keeps the answers and the code', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { codes } = await makeMailing(app, asAdmin);

  const typePage = await app.inject('/invitation?lang=es');
  t.equal(typePage.statusCode, 200);
  t.match(typePage.body, 'Código de invitación');

  // Lower case, spaces, and O and I/L for 0 and 1.
  const sloppy = ` ${codes[1].toLowerCase().replace('-', ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
  const typed = await app.inject({ method: 'POST', url: '/invitation', headers: formHeaders, payload: form({ code: sloppy }) });
  t.equal(typed.statusCode, 200);
  t.match(typed.body, `name="invitation" value="${codes[1]}"`);
  t.match(typed.body, '<input type="hidden" name="channel" value="web">');

  const empty = await app.inject({ method: 'POST', url: '/invitation', headers: formHeaders, payload: form({ code: '' }) });
  t.equal(empty.statusCode, 400);
  t.match(empty.body, 'Please type the code printed on your letter.');

  const invalid = await answer(app, codes[1], { ...completeAnswers, q_safety: '99' }, { channel: 'web' });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.body, `name="invitation" value="${codes[1]}"`, 'the code is kept');
  t.match(invalid.body, /name="q_respect" value="8"[^>]*checked/, 'the answers are kept');
  t.equal(await spentCodes(store), 0, 'nothing spent');

  const spanish = await answer(app, codes[1], completeAnswers, { switch_lang: 'es' });
  t.equal(spanish.statusCode, 200);
  t.match(spanish.body, 'Enviar mis respuestas');
  t.match(spanish.body, /name="q_respect" value="8"[^>]*checked/);

  const ok = await answer(app, codes[1], completeAnswers, { channel: 'web' });
  t.equal(ok.statusCode, 303);
  t.same(
    (await mailingResponses(store)).map((r) => r.channel),
    ['web'],
  );
});

t.test('two simultaneous answers with one code store exactly one response', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { codes } = await makeMailing(app, asAdmin, { invitations: '3' });
  for (const code of codes) {
    const results = await Promise.all(Array.from({ length: 4 }, () => answer(app, code)));
    t.same(results.map((r) => r.statusCode).sort(), [303, 409, 409, 409], 'one accepted, the others told the invitation was used');
  }
  t.equal((await mailingResponses(store)).length, 3);
  t.equal(await spentCodes(store), 3);

  // The same straight at the store, with no check before: the conditional update in the answer's transaction decides.
  const { codes: more } = await makeMailing(app, asAdmin, { invitations: '1' });
  const { survey, questions } = (await app.surveys.findWithQuestions('community-trust'))!;
  const [riverside] = await store.read((db) => db.select().from(store.tables.neighborhoods));
  const response = {
    surveyId: survey.id,
    neighborhoodId: riverside.id,
    submittedOn: dateIn(app.config.TIME_ZONE),
    channel: 'web' as const,
    language: 'en',
    answers: [],
  };
  const stored = await Promise.all(
    Array.from({ length: 5 }, () => app.surveys.submit(response, questions, { invitation: codeHash(more[0].replace('-', '')) })),
  );
  t.equal(stored.filter((id) => id !== null).length, 1, 'one stored, four refused');
  t.equal((await mailingResponses(store)).length, 4);
});

t.test('wrong codes are limited per client, and a proxy header does not reset the count', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { codes } = await makeMailing(app, asAdmin);
  for (let i = 0; i < WRONG_CODES; i++) {
    const res = await app.inject({ url: `/i/ZZZZZ${String(i).padStart(5, '0')}`, headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    t.equal(res.statusCode, 404, `wrong code ${i + 1}`);
    if (i === 0) t.match(res.body, 'We do not recognise this code');
  }
  const blocked = await app.inject({
    method: 'POST',
    url: '/invitation',
    headers: { ...formHeaders, 'x-forwarded-for': '10.9.9.9' },
    payload: form({ code: codes[0] }),
  });
  t.equal(blocked.statusCode, 429, 'even a right code is not looked at once the limit is reached');
  t.match(blocked.body, 'Too many wrong codes');
  t.ok(Number(blocked.headers['retry-after']) > 0);
  t.equal((await answer(app, codes[0])).statusCode, 429);
  t.equal((await mailingResponses(store)).length, 0);
  // Another client (a different address) is not affected.
  const other = await app.inject({ url: `/i/${codes[0]}`, remoteAddress: '192.0.2.7' });
  t.equal(other.statusCode, 200);
});

t.test('nothing links a response to its code; a closed mailing says so', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  t.same(Object.keys(getTableColumns(store.tables.invitationCodes)).sort(), ['codeHash', 'mailingId', 'spent'], 'a code row has no response, time or order');
  t.notOk(
    Object.keys(getTableColumns(store.tables.responses)).some((c) => /code|invitation|hash/i.test(c)),
    'a response has no code',
  );
  if (testDialect === 'sqlite') {
    const [table] = await store.read((db) => store.rows<{ sql: string }>(db, sql`SELECT sql FROM sqlite_master WHERE name = 'invitation_codes'`));
    t.match(table.sql, /WITHOUT ROWID/, 'no rowid records the order codes were made or spent');
  }
  if (testDialect === 'postgres') {
    // PostgreSQL stamps each row with the transaction that wrote it: a spent code must not share its response's.
    const { codes: open } = await makeMailing(app, asAdmin, { invitations: '4' });
    for (const code of open.slice(0, 3)) t.equal((await answer(app, code)).statusCode, 303);
    const stamps = await store.read((db) =>
      store.rows<{ code: string | null; response: string | null }>(
        db,
        sql`SELECT c.xmin::text AS "code", r.xmin::text AS "response" FROM invitation_codes c LEFT JOIN responses r ON r.xmin::text = c.xmin::text WHERE c.spent`,
      ),
    );
    t.equal(stamps.length, 3);
    t.ok(
      stamps.every((s) => s.response === null),
      'no spent code has the transaction id of a response',
    );
  }
  const today = dateIn(app.config.TIME_ZONE);
  const { codes } = await makeMailing(app, asAdmin, { mailedOn: addDays(today, -40), closesOn: addDays(today, -1) });
  const closed = await app.inject(`/i/${codes[0]}?lang=es`);
  t.equal(closed.statusCode, 410);
  t.match(closed.body, 'Esta invitación ya cerró');
  t.equal((await answer(app, codes[0])).statusCode, 410);
  t.equal(await spentCodes(store), testDialect === 'postgres' ? 3 : 0);
});

t.test('admins record returns and read AAPOR response rates; every admin form needs its CSRF token', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { id, codes } = await makeMailing(app, asAdmin, { invitations: '10' });
  for (const code of codes.slice(0, 3)) t.equal((await answer(app, code)).statusCode, 303);
  t.equal((await answer(app, codes[3], partialAnswers)).statusCode, 303);

  const noToken = await asAdmin.postWithoutToken(`/admin/mailings/${id}/not-eligible`, { notEligible: '2' });
  t.equal(noToken.statusCode, 403);
  t.equal((await asAdmin.postWithoutToken('/admin/mailings', { survey: 'community-trust' })).statusCode, 403);
  t.equal((await asAdmin.postWithoutToken(`/admin/mailings/${id}/forget`, {})).statusCode, 403);

  const tooMany = await asAdmin.post(`/admin/mailings/${id}/not-eligible`, { notEligible: '7' }, `/admin/mailings/${id}`);
  t.equal(tooMany.statusCode, 400, 'NE cannot exceed the invitations neither answered nor returned');
  t.match(tooMany.body, 'At most 6');
  const saved = await asAdmin.post(`/admin/mailings/${id}/not-eligible`, { notEligible: '2' }, `/admin/mailings/${id}`);
  t.equal(saved.statusCode, 303);

  // N = 10, NE = 2, I = 3, P = 1: RR1 = 3/8 = 37.5%; e = 4/6, RR3 = 3 / (4 + 4 × 4/6) = 3 / 6.667 = 45.0%.
  const page = await asAdmin.get(`/admin/mailings/${id}`);
  t.match(page.body, /RR1 = I \/ \(N − NE\)<\/th><td>37\.5%/);
  t.match(page.body, /RR3 = I \/ \(I \+ P \+ e × unknown\)<\/th><td>45\.0%/);
  t.match(page.body, /<td>0\.67 \(estimated/);
  const list = await asAdmin.get('/admin/mailings?e=0.5');
  // e = 0.5: RR3 = 3 / (4 + 2) = 50.0%.
  t.match(list.body, /<td>10<\/td><td>2<\/td><td>3<\/td><td>1<\/td><td>4<\/td><td>37\.5%<\/td><td>50\.0%<\/td><td>0\.50<\/td>/);
  t.match(list.body, 'as you entered it');
  t.same(await auditActions(app), ['mailing.create', 'mailing.not-eligible']);

  const bad = await asAdmin.post(
    '/admin/mailings',
    { survey: 'community-trust', neighborhood: 'nowhere', name: '', invitations: '0', mailedOn: 'soon', closesOn: '' },
    '/admin/mailings',
  );
  t.equal(bad.statusCode, 400);
  for (const field of ['name', 'invitations', 'mailedOn', 'closesOn']) t.match(bad.body, `href="#field-${field}"`);
  t.match(bad.body, 'id="field-invitations" name="invitations" value="0"', 'nothing typed is lost');
  t.equal((await asAdmin.get('/admin/mailings/999')).statusCode, 404);
});
