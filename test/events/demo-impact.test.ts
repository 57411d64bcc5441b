import t from 'tap';
import { demoStaff, generateDemo } from '../../src/demo/generate.js';
import { buildTestApp, login } from '../helper/app.js';

t.test('in the demo city the cookout shows a rise and the incident a fall, beyond the city-wide drift', async (t) => {
  const { app, database } = await buildTestApp(t);
  // Enough responses that every week of the windows passes the threshold in the smaller neighborhoods too.
  await generateDemo(database, { seed: 5, asOf: '2026-06-30', passwordCost: 10, dailyRate: 9 });
  const { jar } = await login(app, demoStaff[1].email, demoStaff[1].password);
  const id = (title: string) => database.sqlite.prepare('SELECT id FROM events WHERE title LIKE ?').pluck().get(`${title}%`) as number;
  const impact = async (eventId: number) => (await app.inject({ url: `/api/events/${eventId}/impact?weeks=8`, headers: { cookie: jar.header() } })).json();

  const cookout = await impact(id('Cookout'));
  t.ok(cookout.differenceInDifferences.ci_low > 0, `cookout DiD ${cookout.differenceInDifferences.estimate.toFixed(1)} clearly above 0`);
  const incident = await impact(id('Use-of-force'));
  t.ok(incident.differenceInDifferences.ci_high < 0, `incident DiD ${incident.differenceInDifferences.estimate.toFixed(1)} clearly below 0`);
  const policy = await impact(id('Body-worn'));
  t.equal(policy.comparison, null, 'a city-wide event has no comparison area');
  t.equal(policy.area.before.suppressed, false);
});
