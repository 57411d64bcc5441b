import { and, asc, eq } from 'drizzle-orm';
import t from 'tap';
import { countThemes } from '../../src/results/themes.js';
import { standardThemes } from '../../src/survey/standard-survey.js';
import { createThemeRepository } from '../../src/themes/queries.js';
import { auditActions, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, rowCount } from '../helper/app.js';
import { people, submit } from '../helper/responses.js';

const themesOf = ({ store }: Awaited<ReturnType<typeof buildTestApp>>['app'], surveyId = 1) => {
  const { themes } = store.tables;
  return store.read((db) =>
    db
      .select({ code: themes.code, label: themes.label, keywords: themes.keywords, position: themes.position })
      .from(themes)
      .where(eq(themes.surveyId, surveyId))
      .orderBy(asc(themes.position)),
  );
};
/** The id of the theme with this code in the survey. */
const themeId = async ({ store }: Awaited<ReturnType<typeof buildTestApp>>['app'], code: string, surveyId = 1) => {
  const { themes } = store.tables;
  return (
    await store.read((db) =>
      db
        .select({ id: themes.id })
        .from(themes)
        .where(and(eq(themes.surveyId, surveyId), eq(themes.code, code))),
    )
  )[0].id;
};

t.test('the standard survey comes with the suggested themes in English and Spanish, and the repository returns them', async (t) => {
  const { app, store } = await buildTestApp(t);
  const definitions = await createThemeRepository(store).definitions(1);
  t.same(
    definitions.map((d) => d.code),
    standardThemes.map((d) => d.code),
  );
  t.same(definitions[0].label, { en: 'Drug dealing', es: 'Venta de drogas' });
  t.ok(
    definitions.every((d) => d.keywords.en.length > 0 && d.keywords.es.length > 0 && d.label.en && d.label.es),
    'every theme has a name and keywords in both languages',
  );
  const counted = countThemes(
    [
      { text: 'Drug dealing near the park', n: 479 },
      { text: 'Venta de drogas cerca del parque', n: 128 },
      { text: 'Speeding on Northgate Avenue', n: 50 },
      { text: 'Street lighting at night', n: 20 },
    ],
    definitions,
  );
  t.match(counted.themes.slice(0, 2), [
    { code: 'drugs', answers: 607 },
    { code: 'traffic', answers: 50 },
  ]);
  t.equal(counted.other, 20);
  t.same(await createThemeRepository(store).definitions(999), [], 'an unknown survey has none');
  t.same(await auditActions(app), []);
});

t.test('an admin lists, adds, edits and removes themes; each change audited', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  const list = await asAdmin.get('/admin/surveys/1/themes');
  t.equal(list.statusCode, 200);
  t.match(list.body, 'Drug dealing');
  t.match(list.body, 'venta de drogas');
  t.match((await asAdmin.get('/admin/surveys/1')).body, 'href="/admin/surveys/1/themes"', 'linked from the survey');

  const form = await asAdmin.get('/admin/surveys/1/themes/new');
  t.equal(form.statusCode, 200);
  t.match(form.body, 'name="label_es"');
  t.match(form.body, 'name="keywords_es"');
  const added = await asAdmin.post(
    '/admin/surveys/1/themes',
    {
      code: 'lighting',
      label_en: 'Street lighting',
      label_es: 'Alumbrado público',
      keywords_en: 'street lights\nlighting, dark',
      keywords_es: 'alumbrado\nlámparas',
    },
    '/admin/surveys/1/themes/new',
  );
  t.equal(added.statusCode, 303);
  t.equal(added.headers.location, '/admin/surveys/1/themes');
  const lighting = (await themesOf(app)).at(-1)!;
  t.same(lighting, {
    code: 'lighting',
    label: { en: 'Street lighting', es: 'Alumbrado público' },
    keywords: { en: ['street lights', 'lighting', 'dark'], es: ['alumbrado', 'lámparas'] },
    position: standardThemes.length + 1,
  });
  const id = await themeId(app, 'lighting');

  const tried = await asAdmin.get(`/admin/surveys/1/themes?answer=${encodeURIComponent('Las LAMPARAS no sirven y hay drogas')}`);
  t.match(tried.body, /It counts into: <strong>Drug dealing<\/strong>, <strong>Street lighting<\/strong>/, 'the admin can try an answer');
  t.match((await asAdmin.get('/admin/surveys/1/themes?answer=potholes')).body, 'It names no theme');

  const edit = await asAdmin.get(`/admin/surveys/1/themes/${id}/edit`);
  t.equal(edit.statusCode, 200);
  t.match(edit.body, />street lights\nlighting\ndark<\/textarea>/);
  const saved = await asAdmin.post(`/admin/surveys/1/themes/${id}`, {
    code: 'lighting',
    label_en: 'Lighting',
    label_es: 'Alumbrado',
    keywords_en: 'streetlight',
    keywords_es: '',
  });
  t.equal(saved.statusCode, 303);
  const { label, keywords } = (await themesOf(app)).at(-1)!;
  t.same({ label, keywords }, { label: { en: 'Lighting', es: 'Alumbrado' }, keywords: { en: ['streetlight'], es: [] } });

  const removed = await asAdmin.post(`/admin/surveys/1/themes/${id}/remove`, {});
  t.equal(removed.statusCode, 303);
  t.equal(await rowCount(store, 'themes'), standardThemes.length);
  t.equal((await asAdmin.get(`/admin/surveys/1/themes/${id}/edit`)).statusCode, 404, 'a removed theme is gone');
  t.equal((await asAdmin.post(`/admin/surveys/1/themes/${id}/remove`, {})).statusCode, 404);

  t.same(await auditActions(app), ['theme.create', 'theme.update', 'theme.remove']);
  const { auditLog } = app.store.tables;
  t.same(
    await app.store.read((db) =>
      db.select({ entity: auditLog.entity, entityId: auditLog.entityId, details: auditLog.details }).from(auditLog).where(eq(auditLog.action, 'theme.create')),
    ),
    [{ entity: 'theme', entityId: String(id), details: { survey: 1, code: 'lighting' } }],
  );
});

t.test('theme form validation: 400 with the form, values kept and errors by field', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  const before = await rowCount(store, 'themes');

  const empty = await asAdmin.post('/admin/surveys/1/themes', {});
  t.equal(empty.statusCode, 400);
  t.match(empty.body, 'href="#field-code"');
  t.match(empty.body, 'Give the theme a code.');
  t.match(empty.body, 'Write the theme&#x27;s name in English.');
  t.match(empty.body, 'Write the theme&#x27;s name in Español.');
  t.match(empty.body, 'href="#field-keywords_en"');
  t.match(empty.body, 'Give at least one keyword or phrase.');

  const bad = await asAdmin.post('/admin/surveys/1/themes', {
    code: 'Bad Code!',
    label_en: 'Lights',
    label_es: 'x'.repeat(101),
    keywords_en: `ok\n${'y'.repeat(81)}`,
    keywords_es: '???',
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'value="Bad Code!"', 'values kept');
  t.match(bad.body, 'value="Lights"');
  t.match(bad.body, 'Start the code with a lowercase letter');
  t.match(bad.body, 'id="field-label_es-error"');
  t.match(bad.body, 'Keep each keyword to 80 characters.');
  t.match(bad.body, 'Each keyword needs a letter or a digit.');
  t.match(bad.body, 'aria-invalid="true"');

  const other = await asAdmin.post('/admin/surveys/1/themes', { code: 'other', label_en: 'Other', label_es: 'Otro', keywords_en: 'misc' });
  t.equal(other.statusCode, 400);
  t.match(other.body, '&quot;other&quot; counts the answers in no theme');

  const taken = await asAdmin.post('/admin/surveys/1/themes', { code: 'drugs', label_en: 'Drugs', label_es: 'Drogas', keywords_es: 'droga' });
  t.equal(taken.statusCode, 400);
  t.match(taken.body, 'Another theme of this survey has this code.');

  const tooMany = await asAdmin.post('/admin/surveys/1/themes', {
    code: 'many',
    label_en: 'Many',
    label_es: 'Muchos',
    keywords_en: Array.from({ length: 61 }, (_, i) => `word${i}`).join('\n'),
  });
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.body, 'Use at most 60 keywords per language.');

  const drugsId = await themeId(app, 'traffic');
  const renamed = await asAdmin.post(`/admin/surveys/1/themes/${drugsId}`, {
    code: 'drugs',
    label_en: 'Traffic',
    label_es: 'Tráfico',
    keywords_en: 'speeding',
  });
  t.equal(renamed.statusCode, 400, 'an edit cannot take another theme’s code');

  t.equal(await rowCount(store, 'themes'), before, 'nothing stored');
  t.same(await auditActions(app), []);
  t.equal((await asAdmin.get('/admin/surveys/1/themes/new?x=1')).statusCode, 200);
  t.equal((await asAdmin.get('/admin/surveys/999/themes')).statusCode, 404, 'unknown survey');
  t.equal((await asAdmin.get('/admin/surveys/1/themes/abc/edit')).statusCode, 404, 'malformed theme id');
  t.equal((await asAdmin.post('/admin/surveys/999/themes', { code: 'x' })).statusCode, 404);
});

t.test('themes belong to their survey: suggested themes for a new survey, copied with a duplicate, not editable from another survey', async (t) => {
  const { app } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  const created = await asAdmin.post(
    '/admin/surveys',
    { slug: 'trust-2027', languages: ['en'], title_en: 'Trust 2027', intro_en: 'Short.' },
    '/admin/surveys/new',
  );
  const id = Number(/(\d+)$/.exec(created.headers.location as string)![1]);
  t.same(await themesOf(app, id), [], 'a new survey starts without themes');
  const form = await asAdmin.get(`/admin/surveys/${id}/themes/new`);
  t.notMatch(form.body, 'name="label_es"', 'names asked in the survey’s languages only');
  t.equal(
    (await asAdmin.post(`/admin/surveys/${id}/themes`, { code: 'lights', label_en: 'Lights', keywords_en: 'lights' }, `/admin/surveys/${id}/themes/new`))
      .statusCode,
    303,
  );
  t.equal((await asAdmin.post(`/admin/surveys/${id}/themes/suggested`, {})).statusCode, 303);
  t.same(
    (await themesOf(app, id)).map((r) => [r.code, r.position]),
    [['lights', 1], ...standardThemes.map((d, i) => [d.code, i + 2])],
  );
  await asAdmin.post(`/admin/surveys/${id}/themes/suggested`, {});
  t.equal((await themesOf(app, id)).length, standardThemes.length + 1, 'suggested themes are added once');

  const standardTheme = await themeId(app, 'noise');
  t.equal((await asAdmin.get(`/admin/surveys/${id}/themes/${standardTheme}/edit`)).statusCode, 404, "another survey's theme is unknown here");
  t.equal((await asAdmin.post(`/admin/surveys/${id}/themes/${standardTheme}/remove`, {})).statusCode, 404);

  const copy = await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'community-trust-2' });
  const copyId = Number(/(\d+)$/.exec(copy.headers.location as string)![1]);
  t.same(await themesOf(app, copyId), await themesOf(app, 1), 'a duplicate copies the themes');
  t.same(await auditActions(app), ['survey.create', 'theme.create', 'theme.suggested', 'survey.duplicate']);
});

t.test('CSRF and role guard on the theme pages', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin, asLiaison } = await staffSessions(app);
  const fields = { code: 'lights', label_en: 'Lights', label_es: 'Luces', keywords_en: 'lights' };
  t.equal((await asAdmin.postWithoutToken('/admin/surveys/1/themes', fields)).statusCode, 403);
  t.equal((await asAdmin.postWithoutToken('/admin/surveys/1/themes/1', fields)).statusCode, 403);
  t.equal((await asAdmin.postWithoutToken('/admin/surveys/1/themes/1/remove', {})).statusCode, 403);
  t.equal((await asAdmin.postWithoutToken('/admin/surveys/1/themes/suggested', {})).statusCode, 403);
  for (const url of ['/admin/surveys/1/themes', '/admin/surveys/1/themes/new', '/admin/surveys/1/themes/1/edit'])
    t.equal((await asLiaison.get(url)).statusCode, 403, url);
  t.equal((await asLiaison.post('/admin/surveys/1/themes', fields, '/')).statusCode, 403);
  t.equal((await asLiaison.post('/admin/surveys/1/themes/1/remove', {}, '/')).statusCode, 403);
  t.equal((await app.inject('/admin/surveys/1/themes')).statusCode, 303, 'anonymous visitors are sent to log in');
  t.equal(await rowCount(store, 'themes'), standardThemes.length);
  t.same(await auditActions(app), []);
});

t.test('the neighborhood results page counts answers into the themes, English and Spanish together, small counts hidden', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [alder] = await addNeighborhoods(store, 'Alder');
  await submit(app, alder.id, '2026-04-02', people(20, 3), { top_issue: 'Drug dealing near the park' });
  await submit(app, alder.id, '2026-04-03', people(12, 4), { top_issue: 'Venta de drogas cerca del parque' });
  await submit(app, alder.id, '2026-04-04', people(6, 5), { top_issue: 'Bad police, call and nothing' });
  await submit(app, alder.id, '2026-04-05', people(2, 6), { top_issue: 'Noise at night' });
  // Admins see exact counts; the floor still hides counts under 10 (liaisons' counts are perturbed too).
  const { asAdmin } = await staffSessions(app);
  const page = await asAdmin.get('/results/alder?from=2026-04-01&to=2026-04-30');
  t.equal(page.statusCode, 200);
  const themes = /<caption>Themes[\s\S]*?<\/table>/.exec(page.body)![0];
  t.match(themes, /<td>Drug dealing<\/td><td class="num">32<\/td>/, '20 in English and 12 in Spanish');
  t.match(themes, /<td>Noise<\/td><td class="num">hidden<\/td>/, 'two answers are not shown');
  t.match(themes, /<td>Other \(no theme\)<\/td><td class="num">hidden<\/td>/, 'nor six, under the privacy floor of 10');
  const words = /<caption>Words[\s\S]*?<\/table>/.exec(page.body)![0];
  t.notMatch(words, /police|bad|call|near/, 'words that say nothing are dropped');
  t.match(words, /drogas|drug/);
});
