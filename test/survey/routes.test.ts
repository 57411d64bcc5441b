import { count, eq, getTableColumns } from 'drizzle-orm';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { addNeighborhoods, buildTestApp, form } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

const fullAnswers = {
  neighborhood: 'riverside',
  q_safety: '6',
  q_respect: '8',
  q_listening: '5',
  q_fairness: '4',
  q_reliability: 'dk',
  q_responsiveness: '2',
  q_confidence: '7',
  q_top_issue: 'Speeding on "Main" St, <b>near</b> the school — ¡rápido!',
  q_age_band: '25_34',
  q_gender: 'prefer_not',
  q_race_ethnicity: 'hispanic',
  q_years_in_neighborhood: '10_plus',
};

const counts = (store: Store) =>
  store.read(async (db) => ({
    responses: (await db.select({ n: count() }).from(store.tables.responses))[0].n,
    answers: (await db.select({ n: count() }).from(store.tables.answers))[0].n,
  }));

t.test('the form renders in English with every question, labelled and grouped', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const res = await app.inject('/surveys/community-trust');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<html lang="en">');
  t.match(res.body, 'When it comes to the threat of crime, how safe do you feel in your neighborhood?');
  t.match(res.body, '<label for="field-neighborhood"');
  t.match(res.body, '<option value="old-town">Old Town</option>');
  // 7 scale questions and 4 demographic questions, each a fieldset with a legend.
  t.equal(res.body.match(/<fieldset/g)?.length, 11);
  t.equal(res.body.match(/<legend>/g)?.length, 11);
  t.match(res.body, 'name="q_respect" value="10"');
  t.match(res.body, 'name="q_fairness" value="5"');
  t.notMatch(res.body, 'name="q_fairness" value="0"', '5-point items have no 0');
  t.match(res.body, 'This survey is anonymous');
  t.match(res.headers['content-security-policy'], "script-src 'self'");
});

t.test('the form renders in Spanish with ?lang=es', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const res = await app.inject('/surveys/community-trust?lang=es');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<html lang="es">');
  t.match(res.body, 'Encuesta de Confianza Comunitaria');
  t.match(res.body, 'La policía de mi vecindario trata a los residentes con respeto.');
  t.match(res.body, 'Enviar mis respuestas');
  t.match(res.body, '<input type="hidden" name="lang" value="es">');
});

t.test('a valid submission is stored with every answer, its scores and rollups, then redirects', async (t) => {
  const { app, store } = await buildTestApp(t, { TIME_ZONE: 'America/Chicago' });
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ ...fullAnswers, lang: 'es', channel: 'qr' }),
  });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/surveys\/community-trust\/thanks\?/);

  const { answers, monthlyRollups, questions, responses, responseScores } = store.tables;
  const stored = await store.read((db) => db.select().from(responses));
  t.equal(stored.length, 1);
  t.equal(stored[0].neighborhoodId, riverside.id);
  t.equal(stored[0].submittedOn, dateIn('America/Chicago'));
  t.match(stored[0].submittedOn, /^\d{4}-\d{2}-\d{2}$/, 'a date, no time of day');
  t.equal(stored[0].channel, 'qr');
  t.equal(stored[0].language, 'es');

  const byCode = new Map(
    (
      await store.read((db) =>
        db
          .select({ code: questions.code, number: answers.valueNumber, text: answers.valueText })
          .from(answers)
          .innerJoin(questions, eq(questions.id, answers.questionId)),
      )
    ).map((a) => [a.code, a.number ?? a.text]),
  );
  t.same(
    Object.fromEntries(byCode),
    {
      safety: 6,
      respect: 8,
      listening: 5,
      fairness: 4,
      responsiveness: 2,
      confidence: 7,
      top_issue: fullAnswers.q_top_issue,
      age_band: '25_34',
      gender: 'prefer_not',
      race_ethnicity: 'hispanic',
      years_in_neighborhood: '10_plus',
    },
    "every answer kept as given; don't know stored as no value",
  );

  const scores = Object.fromEntries((await store.read((db) => db.select().from(responseScores))).map((s) => [s.measure, s.score]));
  // Hand-computed: trust = (80 + 50) / 2; fairness 4 on 1–5 = 75; responsiveness 2 = 25; reliability unanswered.
  t.same(scores, { safety: 60, respect: 80, listening: 50, fairness: 75, responsiveness: 25, confidence: 70, trust: 65 });
  const [trustRollup] = await store.read((db) => db.select().from(monthlyRollups).where(eq(monthlyRollups.measure, 'trust')));
  t.same({ n: trustRollup.n, sum: trustRollup.sum, sumSquares: trustRollup.sumSquares }, { n: 1, sum: 65, sumSquares: 65 * 65 });

  const thanks = await app.inject(res.headers.location as string);
  t.equal(thanks.statusCode, 200);
  t.match(thanks.body, 'Gracias');
});

t.test('no address, user agent or cookie id is stored or logged', async (t) => {
  const { app, store, logs } = await buildTestApp(t, { LOG_LEVEL: 'info' });
  await addNeighborhoods(store, 'Riverside');
  await app.inject({
    method: 'POST',
    url: '/surveys/community-trust?neighborhood=riverside',
    headers: { ...formHeaders, 'user-agent': 'UniqueAgent/9.9', 'x-forwarded-for': '203.0.113.77' },
    remoteAddress: '198.51.100.23',
    payload: form(fullAnswers),
  });
  t.equal((await counts(store)).responses, 1);
  t.same(logs, [], 'resident requests are not logged one by one');
  await app.inject({ url: '/login', headers: { 'user-agent': 'UniqueAgent/9.9', 'x-forwarded-for': '203.0.113.77' }, remoteAddress: '198.51.100.23' });
  t.ok(logs.length > 0, 'staff requests are logged');
  const everything = logs.join('\n') + JSON.stringify(await store.read((db) => db.select().from(store.tables.responses)));
  for (const secret of ['198.51.100.23', '203.0.113.77', 'UniqueAgent', 'remoteAddress', 'user-agent']) t.notMatch(everything, secret);
  const columns = Object.values(getTableColumns(store.tables.responses)).map((c) => c.name);
  t.same(
    columns.filter((c) => /ip|agent|time|created/.test(c)),
    [],
    'no column that could hold them',
  );
});

t.test('invalid answers: 400, the form again with every answer kept and each error by its field', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const bad = { ...fullAnswers, neighborhood: 'atlantis', q_respect: '11', q_gender: 'robot', q_top_issue: 'x'.repeat(1001) };
  const res = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(bad) });
  t.equal(res.statusCode, 400);
  t.match(res.body, 'There is a problem with your answers');
  t.match(res.body, 'href="#field-neighborhood"');
  t.match(res.body, 'href="#field-respect-0"');
  t.match(res.body, 'href="#field-gender-woman"');
  t.match(res.body, 'href="#field-top_issue"');
  t.match(res.body, '<p class="field-error" id="field-respect-error">');
  t.match(res.body, 'Please choose your neighborhood from the list.');
  t.match(res.body, 'Please shorten your answer to 1,000 characters or fewer.');
  // Answers that were fine stay selected; the text answer is kept (escaped) for shortening.
  t.match(res.body, 'id="field-safety-6" name="q_safety" value="6" checked');
  t.match(res.body, 'id="field-reliability-dk" name="q_reliability" value="dk" checked');
  t.match(res.body, 'id="field-race_ethnicity-hispanic" name="q_race_ethnicity" value="hispanic" checked');
  t.match(res.body, 'x'.repeat(1001));
  t.same(await counts(store), { responses: 0, answers: 0 });
});

t.test('missing neighborhood, repeated keys and required questions are refused', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { questions } = store.tables;
  await store.transaction((tx) => tx.update(questions).set({ required: true }).where(eq(questions.code, 'confidence')));

  const noNeighborhood = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ q_confidence: '5' }) });
  t.equal(noNeighborhood.statusCode, 400);
  t.match(noNeighborhood.body, 'Please choose your neighborhood from the list.');
  t.match(noNeighborhood.body, 'id="field-confidence-5" name="q_confidence" value="5" checked');

  const missingRequired = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ neighborhood: 'riverside' }),
  });
  t.equal(missingRequired.statusCode, 400);
  t.match(missingRequired.body, 'Please answer this question.');
  t.match(missingRequired.body, '(required)');

  const repeated = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ neighborhood: 'riverside', q_confidence: ['3', '9'] }),
  });
  t.equal(repeated.statusCode, 400);
  t.match(repeated.body, 'This answer could not be read.');
  t.same(await counts(store), { responses: 0, answers: 0 });

  const ok = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ neighborhood: 'riverside', q_confidence: '0' }),
  });
  t.equal(ok.statusCode, 303, 'a 0 is an answer');
  t.same(await counts(store), { responses: 1, answers: 1 });
});

t.test('a filled honeypot looks accepted but stores nothing', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ ...fullAnswers, website: 'http://spam.example' }),
  });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, '/thanks');
  t.same(await counts(store), { responses: 0, answers: 0 });
});

t.test('closed and draft surveys say they are not accepting answers', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  for (const status of ['closed', 'draft'] as const) {
    await store.transaction((tx) => tx.update(store.tables.surveys).set({ status }));
    const page = await app.inject('/surveys/community-trust');
    t.equal(page.statusCode, 200);
    t.match(page.body, 'This survey is not accepting answers');
    t.notMatch(page.body, '<form method="post" action="/surveys');
    const post = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(fullAnswers) });
    t.equal(post.statusCode, 409);
    t.match(post.body, 'is not open for answers');
  }
  t.same(await counts(store), { responses: 0, answers: 0 });
});

t.test('unknown surveys and pages are 404 pages', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/surveys/nope', '/surveys/nope/thanks', '/no-such-page']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 404, url);
    t.match(res.body, 'Page not found');
  }
  const post = await app.inject({ method: 'POST', url: '/surveys/nope', headers: formHeaders, payload: form(fullAnswers) });
  t.equal(post.statusCode, 404);
});

t.test('a QR link presets the neighborhood with a way to change it, and records the channel', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const res = await app.inject('/surveys/community-trust?neighborhood=old-town&channel=qr');
  t.match(res.body, '<input type="hidden" name="neighborhood" value="old-town">');
  t.match(res.body, '<input type="hidden" name="channel" value="qr">');
  t.match(res.body, /<a href="[^"]*change&#x3D;1[^"]*">Change neighborhood<\/a>/);
  const change = await app.inject('/surveys/community-trust?neighborhood=old-town&channel=qr&change=1');
  t.match(change.body, '<option value="old-town" selected>Old Town</option>');
  const unknown = await app.inject('/surveys/community-trust?neighborhood=atlantis');
  t.match(unknown.body, '<select id="field-neighborhood"', 'an unknown preset falls back to the list');
});

t.test('a browser that answered is told so next time', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const res = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(fullAnswers) });
  const cookie = res.cookies.find((c) => c.name.startsWith('cg_answered_'));
  t.ok(cookie, 'a signed cookie notes the answer');
  t.equal(cookie?.httpOnly, true);
  const again = await app.inject({ url: '/surveys/community-trust', headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
  t.match(again.body, 'You answered this survey on');
  t.match(again.body, '<form method="post"', 'answering again is allowed');
  const forged = await app.inject({ url: '/surveys/community-trust', headers: { cookie: `${cookie!.name}=2020-01-01` } });
  t.notMatch(forged.body, 'You answered this survey on', 'an unsigned cookie is ignored');
});

t.test('submissions are rate limited per client', async (t) => {
  const { app, store } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '3' });
  await addNeighborhoods(store, 'Riverside');
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(fullAnswers) });
    statuses.push(res.statusCode);
  }
  t.same(statuses, [303, 303, 303, 429]);
  t.equal((await counts(store)).responses, 3);
  const other = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    remoteAddress: '10.9.9.9',
    payload: form(fullAnswers),
  });
  t.equal(other.statusCode, 303, 'another client is not limited');
});

t.test('home lists open surveys; healthz answers', async (t) => {
  const { app } = await buildTestApp(t);
  const home = await app.inject('/');
  t.equal(home.statusCode, 200);
  t.match(home.body, 'href="/surveys/community-trust?lang=en"');
  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
});

t.test('the language button re-renders the form in the other language with every answer kept, storing nothing', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const english = await app.inject('/surveys/community-trust');
  t.match(english.body, /<button type="submit" form="survey-form" name="switch_lang" value="es" lang="es"/);
  t.notMatch(english.body, 'href="/surveys/community-trust?lang=es"', 'no language link that would lose the answers');
  t.match(english.body, '<title>Community Trust Survey · Common Ground</title>');

  const { q_safety: _skipped, ...partial } = fullAnswers;
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ ...partial, neighborhood: 'old-town', picker: '1', lang: 'en', channel: 'web', switch_lang: 'es' }),
  });
  t.equal(res.statusCode, 200);
  t.match(res.body, '<html lang="es">');
  t.match(res.body, 'Enviar mis respuestas');
  t.notMatch(res.body, 'error-summary', 'no errors for a question left blank');
  t.notMatch(res.body, /<title>Error/);
  t.match(res.body, '<option value="old-town" selected>');
  t.match(res.body, /id="field-respect-8" name="q_respect" value="8" checked/);
  t.match(res.body, /id="field-reliability-dk" name="q_reliability" value="dk" checked/);
  t.match(res.body, /id="field-age_band-25_34" name="q_age_band" value="25_34" checked/);
  t.match(res.body, 'Speeding on &quot;Main&quot; St, &lt;b&gt;near&lt;/b&gt; the school — ¡rápido!</textarea>');
  t.match(res.body, 'name="lang" value="es"');
  t.match(res.body, /name="switch_lang" value="en" lang="en"/);
  t.same(await counts(store), { responses: 0, answers: 0 });

  // A language the survey does not offer is an ordinary submission.
  const odd = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...fullAnswers, switch_lang: 'fr' }) });
  t.equal(odd.statusCode, 303);
});

t.test('each resident page has its own title, marked when the form has errors', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const bad = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ q_safety: '3' }) });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, '<title>Error: Community Trust Survey · Common Ground</title>');
  t.match(bad.body, /id="error-summary" autofocus/);
  const thanks = await app.inject('/surveys/community-trust/thanks?lang=es');
  t.match(thanks.body, '<title>Gracias – Encuesta');
  t.notMatch(thanks.body, '/public/community-trust', 'no results link before the results are published');
  await store.transaction((tx) => tx.update(store.tables.surveys).set({ published: true }));
  const published = await app.inject('/surveys/community-trust/thanks?lang=es');
  t.match(published.body, 'href="/public/community-trust?lang&#x3D;es"');
});
