import { and, asc, eq } from 'drizzle-orm';
import t from 'tap';
import { auditActions, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, form, rowCount } from '../helper/app.js';

type Session = Awaited<ReturnType<typeof staffSessions>>['asAdmin'];

const scaleQuestion = {
  code: 'trust_police',
  kind: 'scale',
  scale: '0-10',
  dimension: 'confidence',
  allow_dont_know: 'on',
  prompt_en: 'How much do you trust the police?',
  prompt_es: '¿Cuánto confía en la policía?',
  min_label_en: 'Not at all',
  min_label_es: 'Nada',
  max_label_en: 'Completely',
  max_label_es: 'Totalmente',
  option_rows: '3',
};
const choiceQuestion = {
  code: 'tenure',
  kind: 'choice',
  prompt_en: 'Do you rent or own?',
  prompt_es: '¿Alquila o es propietario?',
  option_rows: '3',
  option_value_0: 'rent',
  option_label_0_en: 'Rent',
  option_label_0_es: 'Alquilo',
  option_value_1: 'own',
  option_label_1_en: 'Own',
  option_label_1_es: 'Soy propietario',
};

async function newSurvey(asAdmin: Session, fields: Record<string, string | string[]> = {}) {
  const res = await asAdmin.post(
    '/admin/surveys',
    {
      slug: 'trust-2027',
      languages: ['en', 'es'],
      title_en: 'Trust 2027',
      title_es: 'Confianza 2027',
      intro_en: 'Three questions.',
      intro_es: 'Tres preguntas.',
      ...fields,
    },
    '/admin/surveys/new',
  );
  return { res, id: Number(/\/admin\/surveys\/(\d+)$/.exec(res.headers.location as string)?.[1]) };
}

t.test('an admin runs a new survey from the browser alone: create, questions, preview, open, answer, close', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { questions, responseScores, surveys } = store.tables;
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { res, id } = await newSurvey(asAdmin, { title_es: '' });
  t.equal(res.statusCode, 303);
  t.same(
    await store.read((db) =>
      db.select({ slug: surveys.slug, status: surveys.status, languages: surveys.languages, title: surveys.title }).from(surveys).where(eq(surveys.id, id)),
    ),
    [{ slug: 'trust-2027', status: 'draft', languages: ['en', 'es'], title: { en: 'Trust 2027' } }],
  );

  const refused = await asAdmin.post(`/admin/surveys/${id}/open`, {});
  t.equal(refused.statusCode, 400, 'not complete yet');
  t.match(refused.body, 'Title (es)');
  t.match(refused.body, 'At least one question');
  t.match(refused.body, 'href="#field-title_es"');

  t.equal(
    (
      await asAdmin.post(`/admin/surveys/${id}`, {
        languages: ['en', 'es'],
        title_en: 'Trust 2027',
        title_es: 'Confianza 2027',
        intro_en: 'Three questions.',
        intro_es: 'Tres preguntas.',
      })
    ).statusCode,
    303,
  );
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions`, scaleQuestion)).statusCode, 303);
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions`, { ...choiceQuestion, option_label_1_es: '' })).statusCode, 303);
  const missingOption = await asAdmin.post(`/admin/surveys/${id}/open`, {});
  t.equal(missingOption.statusCode, 400);
  t.match(missingOption.body, 'Question 2, tenure: option &quot;own&quot; (es)');
  const [tenure] = await store.read((db) => db.select({ id: questions.id }).from(questions).where(eq(questions.code, 'tenure')));
  t.match(missingOption.body, `href="/admin/surveys/${id}/questions/${tenure.id}/edit#field-option_label_1_es"`);
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions/${tenure.id}`, choiceQuestion)).statusCode, 303);

  const preview = await asAdmin.get(`/admin/surveys/${id}/preview?lang=es`);
  t.equal(preview.statusCode, 200);
  t.match(preview.body, '¿Cuánto confía en la policía?');
  t.match(preview.body, 'Soy propietario');
  t.notMatch(preview.body, 'Enviar mis respuestas', 'a preview has no send button');
  t.notMatch(preview.body, 'action="/surveys/', 'and posts nowhere');
  t.equal((await app.inject('/surveys/trust-2027')).body.includes('not accepting answers'), true, 'a draft takes no answers');

  t.equal((await asAdmin.post(`/admin/surveys/${id}/open`, {})).statusCode, 303);
  const answered = await app.inject({
    method: 'POST',
    url: '/surveys/trust-2027',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ neighborhood: 'riverside', q_trust_police: '7', q_tenure: 'own' }),
  });
  t.equal(answered.statusCode, 303);
  t.same(
    await store.read((db) => db.select({ measure: responseScores.measure, score: responseScores.score }).from(responseScores)),
    [{ measure: 'confidence', score: 70 }],
    'scored with the new dimension',
  );
  const asked = await asAdmin.post(`/admin/surveys/${id}/close`, {});
  t.match(asked.body, 'Close the survey trust-2027?');
  t.equal((await asAdmin.post(`/admin/surveys/${id}/close`, { confirmed: 'yes' })).statusCode, 303);
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/surveys/trust-2027',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ neighborhood: 'riverside' }),
      })
    ).statusCode,
    409,
  );
  t.same(await auditActions(app), ['survey.create', 'survey.update', 'question.create', 'question.create', 'question.update', 'survey.open', 'survey.close']);
});

t.test('survey and question forms: validation keeps values and links each error', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  const bad = await asAdmin.post('/admin/surveys', { slug: 'Not A Slug', title_en: 'Kept title' }, '/admin/surveys/new');
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'href="#field-slug"');
  t.match(bad.body, 'href="#field-languages"');
  t.match(bad.body, 'value="Kept title"');
  const taken = await newSurvey(asAdmin, { slug: 'community-trust' });
  t.equal(taken.res.statusCode, 400);
  t.match(taken.res.body, 'Another survey already uses this slug.');

  const { id } = await newSurvey(asAdmin);
  const badQuestion = await asAdmin.post(`/admin/surveys/${id}/questions`, {
    code: '9lives',
    kind: 'scale',
    scale: '',
    dimension: 'trust',
    prompt_en: 'Kept prompt',
    option_rows: '3',
  });
  t.equal(badQuestion.statusCode, 400);
  for (const field of ['code', 'dimension']) t.match(badQuestion.body, `href="#field-${field}"`, field);
  t.match(badQuestion.body, 'Kept prompt');
  const noScale = await asAdmin.post(`/admin/surveys/${id}/questions`, { ...scaleQuestion, scale: '' });
  t.match(noScale.body, 'href="#field-scale"');
  const fewOptions = await asAdmin.post(`/admin/surveys/${id}/questions`, {
    ...choiceQuestion,
    option_value_1: '',
    option_label_1_en: '',
    option_label_1_es: '',
  });
  t.match(fewOptions.body, 'A choice question needs at least two options.');
  const badOptions = await asAdmin.post(`/admin/surveys/${id}/questions`, {
    ...choiceQuestion,
    option_value_1: 'rent',
    option_value_2: 'Bad Value',
    option_label_2_en: 'x',
  });
  t.match(badOptions.body, 'the value &quot;rent&quot; is used twice');
  t.match(badOptions.body, 'href="#field-option_value_2"');
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions`, scaleQuestion)).statusCode, 303);
  const dupCode = await asAdmin.post(`/admin/surveys/${id}/questions`, { ...scaleQuestion, dimension: '' });
  t.equal(dupCode.statusCode, 400);
  t.match(dupCode.body, 'Another question of this survey has this code.');
  t.equal(await rowCount(store, `questions WHERE survey_id = ${id}`), 1);

  const emptyLanguages = await asAdmin.post(`/admin/surveys/${id}`, { title_en: 'x' });
  t.equal(emptyLanguages.statusCode, 400);
  t.match(emptyLanguages.body, 'Offer the survey in at least one language.');
  for (const url of [
    '/admin/surveys/999',
    '/admin/surveys/abc',
    `/admin/surveys/${id}/questions/999/edit`,
    '/admin/surveys/1/questions/1/edit'.replace('/1/questions', `/${id}/questions`),
  ]) {
    t.equal((await asAdmin.get(url)).statusCode, 404, url);
  }
  t.equal((await asAdmin.post('/admin/surveys/999/open', {})).statusCode, 404);
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions/999/remove`, {})).statusCode, 404);
});

t.test('reorder, remove and the open survey that must stay complete', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { questions } = store.tables;
  const { asAdmin } = await staffSessions(app);
  const { id } = await newSurvey(asAdmin);
  await asAdmin.post(`/admin/surveys/${id}/questions`, scaleQuestion);
  await asAdmin.post(`/admin/surveys/${id}/questions`, choiceQuestion);
  const codes = async () =>
    (await store.read((db) => db.select({ code: questions.code }).from(questions).where(eq(questions.surveyId, id)).orderBy(asc(questions.position)))).map(
      (r) => r.code,
    );
  const tenureId = (
    await store.read((db) =>
      db
        .select({ id: questions.id })
        .from(questions)
        .where(and(eq(questions.surveyId, id), eq(questions.code, 'tenure'))),
    )
  )[0].id;
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions/${tenureId}/move`, { direction: 'up' })).statusCode, 303);
  t.same(await codes(), ['tenure', 'trust_police']);
  await asAdmin.post(`/admin/surveys/${id}/questions/${tenureId}/move`, { direction: 'up' });
  t.same(await codes(), ['tenure', 'trust_police'], 'the first stays first');
  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions/${tenureId}/move`, { direction: 'sideways' })).statusCode, 400);

  t.equal((await asAdmin.post(`/admin/surveys/${id}/open`, {})).statusCode, 303);
  const blanked = await asAdmin.post(`/admin/surveys/${id}/questions/${tenureId}`, { ...choiceQuestion, prompt_es: '' });
  t.equal(blanked.statusCode, 400);
  t.match(blanked.body, 'The survey is open');
  t.match(blanked.body, 'href="#field-prompt_es"');
  const untitled = await asAdmin.post(`/admin/surveys/${id}`, { languages: ['en', 'es'], title_en: 'Trust 2027', intro_en: 'x', intro_es: 'y' });
  t.equal(untitled.statusCode, 400);
  t.match(untitled.body, 'Title (es)');

  t.equal((await asAdmin.post(`/admin/surveys/${id}/questions/${tenureId}/remove`, {})).statusCode, 303, 'no responses yet: removal is fine');
  t.same(await codes(), ['trust_police']);
  t.match(await auditActions(app), ['survey.create', 'question.create', 'question.create', 'question.move', 'survey.open', 'question.remove']);
});

t.test('once a survey has responses, changes that would corrupt them are refused; wording fixes are not', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { questions } = store.tables;
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  await seedResponses(app, [{ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 7, gender: 'woman' } }]);
  const questionOf = async (code: string) =>
    (
      await store.read((db) =>
        db
          .select()
          .from(questions)
          .where(and(eq(questions.surveyId, 1), eq(questions.code, code))),
      )
    )[0];
  const ids = new Map<string, number>();
  for (const code of ['respect', 'gender', 'fairness', 'top_issue']) ids.set(code, (await questionOf(code)).id);
  const q = (code: string) => ({ id: ids.get(code)! });
  const editPage = await asAdmin.get(`/admin/surveys/1/questions/${q('respect').id}/edit`);
  const fieldsOf = (html: string) => {
    const values: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="(?:text|number)" id="[^"]+" name="([^"]+)" value="([^"]*)"/g))
      values[m[1]] = m[2]
        .replace(/&#x27;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&');
    for (const m of html.matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) values[m[1]] = m[2];
    for (const m of html.matchAll(/<input type="(?:radio|checkbox)" id="[^"]+" name="([^"]+)" value="([^"]+)" checked>/g)) values[m[1]] = m[2];
    values.option_rows = /name="option_rows" value="(\d+)"/.exec(html)![1];
    return values;
  };
  const respect = fieldsOf(editPage.body);
  t.match(respect, { code: 'respect', kind: 'scale', scale: '0-10', dimension: 'respect', in_trust_score: 'on' });
  const edit = (id: number, fields: Record<string, string>) => asAdmin.post(`/admin/surveys/1/questions/${id}`, fields);

  for (const [change, field] of [
    [{ code: 'respect2' }, 'code'],
    [{ kind: 'text' }, 'kind'],
    [{ scale: 'agree5' }, 'scale'],
    [{ dimension: 'fairness' }, 'dimension'],
    [{ reverse_scored: 'on' }, 'reverse_scored'],
  ] as const) {
    const res = await edit(q('respect').id, { ...respect, ...change });
    t.equal(res.statusCode, 409, field);
    t.match(res.body, `href="#field-${field}"`);
    t.match(res.body, 'Duplicate the survey and change the copy instead.');
  }
  const { in_trust_score: _dropped, ...notInTrust } = respect;
  t.equal((await edit(q('respect').id, notInTrust)).statusCode, 409, 'leaving the trust score');

  const wording = await edit(q('respect').id, { ...respect, prompt_en: 'Police here treat residents with respect.', required: 'on' });
  t.equal(wording.statusCode, 303, 'a wording fix is allowed');
  t.match(await questionOf('respect'), { prompt: { en: /treat residents with respect/ }, required: true });

  const gender = fieldsOf((await asAdmin.get(`/admin/surveys/1/questions/${q('gender').id}/edit`)).body);
  const withoutWoman = Object.fromEntries(Object.entries(gender).filter(([k]) => !/^option_(value|label)_0/.test(k)));
  const optionRefused = await edit(q('gender').id, withoutWoman);
  t.equal(optionRefused.statusCode, 409);
  t.match(optionRefused.body, 'cannot be removed or renamed: woman');
  const withoutMan = Object.fromEntries(Object.entries(gender).filter(([k]) => !/^option_(value|label)_1/.test(k)));
  t.equal((await edit(q('gender').id, withoutMan)).statusCode, 303, 'an option nobody chose may go');

  const answeredRemoval = await asAdmin.post(`/admin/surveys/1/questions/${q('respect').id}/remove`, {});
  t.equal(answeredRemoval.statusCode, 409);
  t.match(answeredRemoval.body, 'has 1 answers and cannot be removed');
  t.match(answeredRemoval.body, `href="#field-question-${q('respect').id}"`);
  const scored = await asAdmin.post(`/admin/surveys/1/questions/${q('fairness').id}/remove`, {});
  t.equal(scored.statusCode, 409, 'unanswered but part of a score');
  t.equal((await asAdmin.post(`/admin/surveys/1/questions/${q('top_issue').id}/remove`, {})).statusCode, 303, 'unanswered and unscored may go');

  const newScored = await asAdmin.post('/admin/surveys/1/questions', { ...scaleQuestion });
  t.equal(newScored.statusCode, 409);
  t.match(newScored.body, 'A new question cannot join a dimension or the trust score.');
  t.equal((await asAdmin.post('/admin/surveys/1/questions', { ...scaleQuestion, dimension: '' })).statusCode, 303, 'an unscored question may be added');
  t.equal(await rowCount(store, 'answers'), 2);
});

t.test('duplicate: a draft copy with every question and no responses', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { questions, surveys } = store.tables;
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  await seedResponses(app, [{ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 7 } }]);
  const bad = await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'community-trust' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'Another survey already uses this slug.');
  const invalid = await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'Bad!' });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.body, 'value="Bad!"');
  const copy = await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'community-trust-2' });
  t.equal(copy.statusCode, 303);
  const copyId = Number(/(\d+)$/.exec(copy.headers.location as string)![1]);
  const questionsOf = async (surveyId: number) =>
    (await store.read((db) => db.select().from(questions).where(eq(questions.surveyId, surveyId)).orderBy(asc(questions.position)))).map(
      ({ id: _id, surveyId: _surveyId, ...fields }) => fields,
    );
  t.same(await questionsOf(copyId), await questionsOf(1));
  t.match((await store.read((db) => db.select().from(surveys).where(eq(surveys.id, copyId))))[0], {
    status: 'draft',
    title: { en: /Community Trust Survey/ },
    languages: ['en', 'es'],
  });
  const page = await asAdmin.get(`/admin/surveys/${copyId}`);
  t.match(page.body, '0 responses');
  const list = await asAdmin.get('/admin/surveys');
  t.match(list.body, '<code>community-trust-2</code>');
  t.same(await auditActions(app), ['survey.duplicate']);
});

t.test('CSRF and role guard on the survey editor', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin, asLiaison } = await staffSessions(app);
  t.equal((await asAdmin.postWithoutToken('/admin/surveys', { slug: 'x', languages: 'en' })).statusCode, 403);
  t.equal((await asAdmin.postWithoutToken('/admin/surveys/1/close', {})).statusCode, 403);
  for (const url of ['/admin/surveys', '/admin/surveys/new', '/admin/surveys/1', '/admin/surveys/1/preview', '/admin/surveys/1/questions/new']) {
    t.equal((await asLiaison.get(url)).statusCode, 403, url);
  }
  t.equal((await asLiaison.post('/admin/surveys/1/close', {}, '/')).statusCode, 403);
  t.equal((await asLiaison.post('/admin/surveys/1/questions/1/remove', {}, '/')).statusCode, 403);
  t.same(await store.read((db) => db.select({ status: store.tables.surveys.status }).from(store.tables.surveys)), [{ status: 'open' }]);
  t.equal(await rowCount(store, 'questions'), 12);
});

t.test('the cached response recorder follows the scoring fields of the questions', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { questions, responseScores } = store.tables;
  await addNeighborhoods(store, 'Riverside');
  const submit = () =>
    app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ neighborhood: 'riverside', q_safety: '4' }),
    });
  t.equal((await submit()).statusCode, 303);
  // Only possible outside the editor (which refuses it once there are responses): the cache must still notice.
  await store.transaction((tx) => tx.update(questions).set({ dimension: 'security', reverseScored: true }).where(eq(questions.code, 'safety')));
  t.equal((await submit()).statusCode, 303);
  t.same(
    await store.read((db) =>
      db.select({ measure: responseScores.measure, score: responseScores.score }).from(responseScores).orderBy(asc(responseScores.measure)),
    ),
    [
      { measure: 'safety', score: 40 },
      { measure: 'security', score: 60 },
    ],
  );
});

t.test('the survey list counts every response of each survey, not voided ones', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { responses } = store.tables;
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const [voided] = await seedResponses(
    app,
    Array.from({ length: 5 }, () => ({ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 7 } })),
  );
  await store.transaction((tx) => tx.update(responses).set({ voided: true }).where(eq(responses.id, voided)));
  await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'community-trust-2' });
  const list = (await asAdmin.get('/admin/surveys')).body;
  t.match(list, /<code>community-trust<\/code>.*?<td class="num">4<\/td>/s, 'four counted responses');
  t.match(list, /<code>community-trust-2<\/code>.*?<td class="num">0<\/td>/s, 'none for the copy');
});
