import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { bucketEnd, bucketStart, shiftBucket } from '../../src/stats/buckets.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, form } from '../helper/app.js';
import { people, submit } from '../helper/responses.js';

// Figures are cached per measure and month and a submission empties only its own day's, a weighting pass only the months
// it weighs: never a figure served from before a write that changed it, whichever month, page or role.

t.test('a submission changes the figures of its own month at once, and leaves the others as they were', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [alder] = await addNeighborhoods(store, 'Alder');
  const today = dateIn('UTC');
  const thisMonth = bucketStart(today, 'month');
  const lastMonth = shiftBucket(thisMonth, 'month', -1);
  await submit(app, alder.id, lastMonth, people(35, 3));
  // Under the day's volume that would hold a resident's answer for review (src/survey/quarantine.ts).
  await submit(app, alder.id, today, people(20, 5));
  const { asAdmin, asLiaison } = await staffSessions(app);
  const alderCells = async (get: typeof asAdmin.get, query = '') =>
    (await get(`/api/trends?from=${lastMonth}${query}`)).json().series.find((s: { area: string }) => s.area === 'alder').cells as { n: number | null }[];
  const pageCount = async () => /n&nbsp;=&nbsp;(\d+)/.exec((await asAdmin.get(`/results/alder?from=${thisMonth}&bucket=month`)).body)?.[1];

  t.same(
    (await alderCells(asAdmin.get)).map((c) => c.n),
    [35, 20],
  );
  t.equal(await pageCount(), '20');
  const protectedBefore = (await asLiaison.get(`/api/trends?from=${lastMonth}`)).body;

  const resident = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ neighborhood: 'alder', q_respect: '4', q_listening: '4' }),
  });
  t.equal(resident.statusCode, 303);
  t.same(
    (await alderCells(asAdmin.get)).map((c) => c.n),
    [35, 21],
    'admins: this month counts it at once, last month is as it was',
  );
  t.equal(await pageCount(), '21', 'the neighborhood page too');
  t.equal((await asLiaison.get(`/api/trends?from=${lastMonth}`)).body, protectedBefore, 'liaisons: complete months only, unchanged');

  // An answer recorded for an earlier day (a kiosk that was offline) changes that day's month.
  const { survey, questions } = (await app.surveys.findWithQuestions('community-trust'))!;
  const [respect, listening] = ['respect', 'listening'].map((code) => questions.find((q) => q.code === code)!);
  await app.surveys.submit(
    {
      surveyId: survey.id,
      neighborhoodId: alder.id,
      submittedOn: lastMonth,
      channel: 'kiosk',
      language: 'en',
      answers: [respect, listening].map((q) => ({ questionId: q.id, valueNumber: 3, valueText: null })),
    },
    questions,
  );
  t.same(
    (await alderCells(asAdmin.get)).map((c) => c.n),
    [36, 21],
    'a submission to last month: last month read afresh',
  );
  t.not((await asLiaison.get(`/api/trends?from=${lastMonth}`)).body, protectedBefore, 'and the protected figures of that month move');
});

t.test('a weighting pass empties the figures of every month it weighs again, not only the month a late answer was written to', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [alder] = await addNeighborhoods(store, 'Alder');
  const { admin, asAdmin } = await staffSessions(app);
  const { survey, questions } = (await app.surveys.findWithQuestions('community-trust'))!;
  const census = { age_band: { '18_24': 3000, '65_plus': 1000 }, gender: { woman: 2000, man: 2000 } };
  const margins = Object.entries(census).flatMap(([questionCode, counts]) =>
    Object.entries(counts).map(([optionValue, count]) => ({ neighborhoodId: alder.id, questionCode, optionValue, count, source: 'test', year: 2023 })),
  );
  await app.margins.replace(admin.id, survey.id, margins, 'form');
  const lastMonth = shiftBucket(bucketStart(dateIn('UTC'), 'month'), 'month', -1);
  const monthBefore = shiftBucket(lastMonth, 'month', -1);
  // Young men answer low, older women high: how much each group weighs moves the weighted mean.
  const group = (respect: number) => Array.from({ length: 12 }, (_, i) => ({ respect: respect + (i % 2), listening: respect }));
  for (const month of [monthBefore, lastMonth]) {
    await submit(app, alder.id, month, group(1), { age_band: '18_24', gender: 'man' });
    await submit(app, alder.id, month, group(3), { age_band: '18_24', gender: 'woman' });
    await submit(app, alder.id, month, group(6), { age_band: '65_plus', gender: 'man' });
    await submit(app, alder.id, month, group(8), { age_band: '65_plus', gender: 'woman' });
  }
  await app.weighting.runStale();
  const alderCells = async () =>
    (await asAdmin.get(`/api/trends?from=${monthBefore}&to=${bucketEnd(lastMonth, 'month')}`)).json().series.find((s: { area: string }) => s.area === 'alder')
      .cells as { n: number; mean: number | null; weighted: boolean }[];
  const weighed = await alderCells();
  t.same(
    weighed.map((c) => [c.n, c.weighted, c.mean !== null]),
    [
      [48, true, true],
      [48, true, true],
    ],
  );

  // Young men's answers recorded late for the month before (a kiosk that was offline): that month's figures are emptied
  // at once; last month is raked together with it, so its weights change too, but only when the next pass weighs it.
  const [respect, listening, age, gender] = ['respect', 'listening', 'age_band', 'gender'].map((code) => questions.find((q) => q.code === code)!);
  for (let i = 0; i < 6; i++)
    await app.surveys.submit(
      {
        surveyId: survey.id,
        neighborhoodId: alder.id,
        submittedOn: monthBefore,
        channel: 'kiosk',
        language: 'en',
        answers: [
          { questionId: respect.id, valueNumber: 1, valueText: null },
          { questionId: listening.id, valueNumber: 2, valueText: null },
          { questionId: age.id, valueNumber: null, valueText: '18_24' },
          { questionId: gender.id, valueNumber: null, valueText: 'man' },
        ],
      },
      questions,
    );
  t.same((await alderCells())[1], weighed[1], 'last month is shown on the weights it has until the pass');
  t.ok((await app.weighting.runStale()) >= 2, 'the pass weighs both months again');
  const served = await alderCells();
  await store.transaction(async () => undefined);
  const readAfresh = await alderCells();
  t.same(served, readAfresh, 'after the pass both months are served as they read afresh');
  t.same(
    served.map((c) => [c.n, c.weighted]),
    [
      [54, true],
      [48, true],
    ],
  );
  t.not(served[1].mean, weighed[1].mean, 'last month on its new weights');
});
