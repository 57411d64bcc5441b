import t, { type Test } from 'tap';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { addMailing, submitInvited } from '../helper/mailings.js';
import { describe, people, submit, type Person } from '../helper/responses.js';

interface Cell {
  n: number | null;
  mean: number | null;
  se: number | null;
  suppressed: boolean;
  weighted: boolean;
}
interface TrendsBody {
  series: { area: string; cells: Cell[] }[];
  sample: { kind: string; left_out: { area: string; month: string }[] };
}

const trust = (ps: readonly Person[]) => ps.map((p) => (p.respect + p.listening) * 5);

/*
 * Alder: March 40 opt-in + 35 invited; April 30 opt-in + 4 invited (under the floor: April is left out of both samples).
 * Birch: March 50 opt-in and no invitations (its opt-in part is the whole atom); April 31 invited and no opt-in.
 */
async function setup(t: Test) {
  const { app, store } = await buildTestApp(t);
  const [a, b] = await addNeighborhoods(store, 'Alder', 'Birch');
  const [ma, mb] = [await addMailing(app, a.id), await addMailing(app, b.id)];
  const data = {
    aMarchOpt: people(40, 3),
    aMarchInv: people(35, 5),
    aAprilOpt: people(30, 7),
    aAprilInv: people(4, 2),
    bMarchOpt: people(50, 4),
    bAprilInv: people(31, 6),
  };
  await submit(app, a.id, '2026-03-10', data.aMarchOpt);
  await submitInvited(app, ma, a.id, '2026-03-12', data.aMarchInv);
  await submit(app, a.id, '2026-04-02', data.aAprilOpt);
  await submitInvited(app, ma, a.id, '2026-04-20', data.aAprilInv);
  await submit(app, b.id, '2026-03-15', data.bMarchOpt);
  await submitInvited(app, mb, b.id, '2026-04-11', data.bAprilInv);
  const sessions = await staffSessions(app);
  return { app, a, b, data, adminId: sessions.admin.id, admin: sessions.asAdmin.get, liaison: sessions.asLiaison.get };
}

const range = 'survey=community-trust&bucket=month&from=2026-03-01&to=2026-04-30';
const series = (body: TrendsBody) => Object.fromEntries(body.series.map((s) => [s.area, s.cells]));

function exact(t: Test, cell: Cell, scores: number[], what: string) {
  const want = describe(scores);
  t.equal(cell.n, want.n, `${what}: n`);
  t.ok(cell.mean !== null && Math.abs(cell.mean - want.mean) < 1e-9, `${what}: mean ${cell.mean} = ${want.mean}`);
  t.ok(cell.se !== null && Math.abs(cell.se - want.se) < 1e-9, `${what}: se`);
}

t.test('the sample filter: exact figures per sample, the complementary rule, notes and bad values', async (t) => {
  const { app, a, b, data, adminId, admin, liaison } = await setup(t);

  const bad = await admin(`/api/trends?${range}&sample=mailed`);
  t.equal(bad.statusCode, 400);
  t.equal(bad.json<{ field: string }>().field, 'sample', 'a bad sample gets a 400 naming the field');
  t.equal((await admin(`/results?${range}&sample=mailed`)).statusCode, 400, 'and the page answers 400 with its form');

  const all = await admin(`/api/trends?${range}`);
  t.equal(all.statusCode, 200);
  t.same(all.json<TrendsBody>().sample, { kind: 'all', left_out: [] }, 'all responses by default');
  exact(t, series(all.json<TrendsBody>())[a.slug][1], trust([...data.aAprilOpt, ...data.aAprilInv]), 'all: Alder April counts both');

  const inv = (await admin(`/api/trends?${range}&sample=invitation`)).json<TrendsBody>();
  t.same(inv.sample, { kind: 'invitation', left_out: [{ area: a.slug, month: '2026-04-01' }] }, 'Alder April (4 invited) is left out and said so');
  const invCells = series(inv);
  exact(t, invCells[a.slug][0], trust(data.aMarchInv), 'invitation: Alder March');
  t.equal(invCells[a.slug][1].n, null, 'invitation: Alder April (4) shows nothing');
  exact(t, invCells[b.slug][1], trust(data.bAprilInv), 'invitation: Birch April (no opt-in part: released)');
  exact(t, invCells.city[0], trust(data.aMarchInv), 'invitation: city March');
  exact(t, invCells.city[1], trust(data.bAprilInv), "invitation: city April leaves Alder's 4 out");

  const opt = (await admin(`/api/trends?${range}&sample=opt-in`)).json<TrendsBody>();
  t.same(opt.sample.left_out, [{ area: a.slug, month: '2026-04-01' }], 'opt-in: the same neighborhood-month is left out');
  const optCells = series(opt);
  exact(t, optCells[a.slug][0], trust(data.aMarchOpt), 'opt-in: Alder March');
  t.equal(optCells[a.slug][1].n, null, 'opt-in: Alder April (30, beside 4 invited) is left out: all − opt-in would give the 4');
  exact(t, optCells[b.slug][0], trust(data.bMarchOpt), 'opt-in: Birch March');
  exact(t, optCells.city[0], trust([...data.aMarchOpt, ...data.bMarchOpt]), 'opt-in: city March');
  t.equal(optCells.city[1].n, null, 'opt-in: city April has nothing left to count');

  // Protected figures (liaisons): the same records give the same noise, a different set of records fresh noise.
  const pAll = series((await liaison(`/api/trends?${range}`)).json<TrendsBody>());
  const pOpt = series((await liaison(`/api/trends?${range}&sample=opt-in`)).json<TrendsBody>());
  const pInv = series((await liaison(`/api/trends?${range}&sample=invitation`)).json<TrendsBody>());
  // (The spread is pooled over the view's atoms, so sd and se differ between samples; n and the mean are the atom's.)
  const shown = (c: Cell) => ({ n: c.n, mean: c.mean });
  t.same(shown(pOpt[b.slug][0]), shown(pAll[b.slug][0]), 'Birch March: opt-in is all of it, and shows the very same protected figure');
  t.same(shown(pInv[b.slug][1]), shown(pAll[b.slug][1]), 'Birch April: invitations are all of it, the same figure');
  t.same(series((await liaison(`/api/trends?${range}&sample=invitation`)).json<TrendsBody>()), pInv, 're-reading gives the same figures');
  const alderMarch = pInv[a.slug][0];
  const truth = describe(trust(data.aMarchInv));
  t.ok(alderMarch.n !== null && Math.abs(alderMarch.n - 35) <= 4, `protected n ${alderMarch.n} near 35`);
  t.ok(alderMarch.mean !== null && Math.abs(alderMarch.mean - truth.mean) < 8, `protected mean ${alderMarch.mean} near ${truth.mean}`);
  t.notSame(shown(pOpt[a.slug][0]), shown(pAll[a.slug][0]), 'Alder March opt-in is another set of records: its own figure');
  t.equal(pInv[a.slug][1].n, null, 'liaisons: Alder April left out too');

  // Pages say which sample they show.
  const page = await admin(`/results?${range}&sample=invitation`);
  t.equal(page.statusCode, 200);
  t.match(page.body, /<strong>Mailed invitations only:<\/strong>/, 'the trends page names the sample');
  t.match(page.body, /Left out here: Alder 2026-04/, 'and the neighborhood-months it leaves out');
  t.match(page.body, /<option value="invitation" selected>/, 'the filter keeps the sample');
  t.notMatch(page.body, /id="weighting-note"/, 'no weighting switch for a sample (figures unweighted)');
  t.match((await admin(`/results?${range}`)).body, /<strong>All responses:<\/strong>/, 'all responses, said so');
  const detail = await liaison(`/results/${a.slug}?${range}&sample=opt-in`);
  t.equal(detail.statusCode, 200);
  t.match(detail.body, /<strong>Opt-in responses only:<\/strong>[\s\S]*Left out here: Alder 2026-04/, "a neighborhood's page too");
  t.match(
    (await liaison(`/results/${b.slug}/brief?${range}&sample=invitation`)).body,
    /Sample: Mailed invitations \(random sample\) \(leaving out Alder 2026-04/,
  );

  // Events: the impact API and page with a sample.
  const event = await app.events.create(
    {
      title: { en: 'Meeting', es: 'Reunión' },
      occurredOn: '2026-03-20',
      kind: 'outreach',
      description: null,
      link: null,
      isPublic: false,
      neighborhoodId: null,
    },
    adminId,
  );
  const impact = await liaison(`/api/events/${event}/impact?months=1&sample=invitation`);
  t.equal(impact.statusCode, 200);
  t.equal(impact.json<{ sample: { kind: string } }>().sample.kind, 'invitation', 'the impact API says its sample');
  t.equal((await liaison(`/api/events/${event}/impact?sample=everyone`)).json<{ field: string }>().field, 'sample');
  t.match((await liaison(`/events/${event}?sample=opt-in`)).body, /<strong>Opt-in responses only:<\/strong>/, 'the event page names the sample');

  // The aggregates CSV of a sample.
  const csv = await admin(`/results/export.csv?${range}&sample=invitation`);
  t.equal(csv.statusCode, 200);
  t.match(String(csv.headers['content-disposition']), /aggregates-invitation-/);
});
