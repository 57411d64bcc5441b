import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { bucketStart, shiftBucket } from '../../src/stats/buckets.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, form } from '../helper/app.js';
import { people, submit } from '../helper/responses.js';

// Figures are cached per measure and month and a submission empties only its own day's: never a figure served from
// before a write that changed it, whichever month, page or role.

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
