import { sql } from 'drizzle-orm';
import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import { generateDemo } from '../../src/demo/generate.js';
import { createRandom } from '../../src/demo/random.js';
import { bucketStart, lastCompleteMonthEnd, shiftBucket } from '../../src/stats/buckets.js';
import { multipart, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, csrfFrom } from '../helper/app.js';

type Session = Awaited<ReturnType<typeof staffSessions>>;
const today = dateIn('UTC');
const latest = lastCompleteMonthEnd(today);

/** Share of the last year's neighborhood × quarter cells with a trust figure in a rolling view (a liaison's). */
async function rollingCoverage(session: Session, rolling = 6, weighting: 'weighted' | 'unweighted' = 'weighted') {
  const from = shiftBucket(bucketStart(latest, 'month'), 'month', -11);
  const res = await session.asLiaison.get(`/api/trends?bucket=month&rolling=${rolling}&from=${from}&to=${latest}&weighting=${weighting}`);
  const trends = res.json<{ buckets: { end: string }[]; series: { area: string; cells: { suppressed: boolean }[] }[] }>();
  // A quarter's figure is the rolling window ending with its last month.
  const quarterEnds = trends.buckets.flatMap((b, i) => (['03', '06', '09', '12'].includes(b.end.slice(5, 7)) ? [i] : []));
  const cells = trends.series.filter((s) => s.area !== 'city').flatMap((s) => quarterEnds.map((i) => s.cells[i]));
  return cells.filter((c) => !c.suppressed).length / cells.length;
}

async function verdict(session: Session, eventId: number, weighting: 'weighted' | 'unweighted' = 'weighted') {
  const res = await session.asLiaison.get(`/api/events/${eventId}/impact?weighting=${weighting}`);
  return res.json<{ verdict: { kind: string; estimate: { estimate: number } | null } }>();
}

// The demo has census margins, so a liaison sees weighted figures. Weighting costs precision (the reliability threshold
// applies to n_eff, under n, and noise is scaled by each atom's largest weight): at 1× a rolling 6-month weighted figure
// misses the threshold in some smaller neighborhoods (84–95% coverage) and the incident's −15 points sit at the edge
// of what weighted figures can tell (DiD standard error about 7 points instead of 4.5). So at 1× weighted coverage is
// checked over rolling 12 months, and rolling 6 months and the stories unweighted.
for (const volume of [1, 3, 20]) {
  const weighting = volume === 1 ? 'unweighted' : 'weighted';
  t.test(`the demo city at ${volume}× Chicago's rate: pooled weighted figures for every neighborhood, and the stories are clear (${weighting})`, async (t) => {
    const { app, store } = await buildTestApp(t);
    await generateDemo(store, { seed: 11, asOf: today, volume, passwordCost: 10 });
    const session = await staffSessions(app);
    const coverage = await rollingCoverage(session, 6, weighting);
    t.ok(coverage >= 0.9, `rolling 6-month ${weighting} trust figures for ${(coverage * 100).toFixed(0)}% of neighborhood × quarter cells`);
    if (volume === 1) {
      const yearly = await rollingCoverage(session, 12);
      t.ok(yearly >= 0.9, `rolling 12-month weighted trust figures for ${(yearly * 100).toFixed(0)}% of neighborhood × quarter cells`);
    }
    const { events: eventsTable } = store.tables;
    const events = await store.read((db) => db.select({ id: eventsTable.id, title: eventsTable.title }).from(eventsTable));
    const id = (start: string) => events.find((e) => e.title.en?.startsWith(start))!.id;
    t.equal((await verdict(session, id('Cookout'), weighting)).verdict.kind, 'clear-rise', 'the cookout’s rise is clear');
    t.equal((await verdict(session, id('Use-of-force'), weighting)).verdict.kind, 'clear-fall', 'the incident’s fall is clear');
  });
}

/** 24 months of paper answers at Chicago's rate for a city of 172,000, with a +15 and a −15 point story. */
function chicagoRateCsv(stories: { rise: { neighborhood: string; on: string }; fall: { neighborhood: string; on: string } }) {
  // A fixed sample whose own changes (admins' exact figures) are +18 and −20: whether a true ±15 shows as clear in one
  // sample is itself a matter of chance (about 1 in 10 would not), so the test fixes the sample and leaves only the
  // perturbation's noise, which must not hide it. (Seed 9 drew +14 and −16, and failed now and then.)
  const random = createRandom(3);
  const populations: Record<string, number> = {
    northgate: 24100,
    riverside: 31800,
    'old-town': 12900,
    eastwood: 27400,
    'mill-district': 19800,
    southport: 22600,
    'cedar-hill': 15200,
    lakeview: 18300,
  };
  const rows = ['submitted_on,neighborhood,channel,language,safety,respect,listening'];
  // Days 1–28 of each month, so the draws are the same whatever month the test runs in (its verdicts do not move).
  const days = Array.from({ length: 24 }, (_, m) => shiftBucket(bucketStart(latest, 'month'), 'month', m - 23)).flatMap((month) =>
    Array.from({ length: 28 }, (_, d) => addDays(month, d)),
  );
  for (const day of days) {
    for (const [slug, population] of Object.entries(populations)) {
      const count = random.poisson((0.7 * population) / 1000 / 28);
      for (let i = 0; i < count; i++) {
        let level = 5.5 + random.normal(0, 1.8);
        if (slug === stories.rise.neighborhood && day > stories.rise.on) level += 1.5;
        if (slug === stories.fall.neighborhood && day > stories.fall.on) level -= 1.5;
        const point = (v: number) => String(Math.min(10, Math.max(0, Math.round(v))));
        rows.push(`${day},${slug},paper,en,${point(level + random.normal(0, 2))},${point(level + random.normal(0, 1))},${point(level + random.normal(0, 1))}`);
      }
    }
  }
  return rows.join('\r\n');
}

t.test('a fresh install fed through the import page at Chicago’s rate: coverage, clear changes, the city-wide event', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Northgate', 'Riverside', 'Old Town', 'Eastwood', 'Mill District', 'Southport', 'Cedar Hill', 'Lakeview');
  const session = await staffSessions(app);
  // Events in median-rate neighborhoods, late enough to have six complete months after them.
  const eventDay = addDays(shiftBucket(bucketStart(latest, 'month'), 'month', -7), 14);
  const csv = chicagoRateCsv({ rise: { neighborhood: 'southport', on: eventDay }, fall: { neighborhood: 'mill-district', on: eventDay } });
  const page = await app.inject({ url: '/admin/import', headers: { cookie: session.adminJar.header() } });
  const body = multipart({ _csrf: csrfFrom(page.body) ?? '', survey: 'community-trust' }, { name: 'paper.csv', content: csv });
  const imported = await app.inject({
    method: 'POST',
    url: '/admin/import',
    headers: { cookie: session.adminJar.header(), 'content-type': body.contentType },
    payload: body.payload,
  });
  t.equal(imported.statusCode, 303, 'imported');
  const [{ responses }] = await store.read((db) => store.rows<{ responses: number }>(db, sql`SELECT count(*) AS "responses" FROM responses`));
  t.ok(responses > 2500 && responses < 3300, `${responses} responses over 24 months`);

  const ids: Record<string, number> = {};
  for (const [key, neighborhood, kind] of [
    ['rise', 'southport', 'outreach'],
    ['fall', 'mill-district', 'incident'],
    ['city', '', 'policy'],
  ] as const) {
    const res = await session.asLiaison.post('/events/new', { title_en: `Event ${key}`, occurredOn: eventDay, neighborhood, kind }, '/events/new');
    t.equal(res.statusCode, 303, `event ${key} created`);
    ids[key] = Number(/\/events\/(\d+)/.exec(res.headers.location as string)![1]);
  }

  const coverage = await rollingCoverage(session);
  t.ok(coverage >= 0.9, `rolling 6-month trust figures for ${(coverage * 100).toFixed(0)}% of neighborhood × quarter cells`);
  const rise = await verdict(session, ids.rise);
  t.equal(rise.verdict.kind, 'clear-rise', `a +15-point rise is clear (${JSON.stringify(rise.verdict)})`);
  t.equal((await verdict(session, ids.fall)).verdict.kind, 'clear-fall', 'a −15-point fall is clear');
  const results = await session.asLiaison.get('/results');
  t.match(results.body, 'Showing rolling 6-month figures', 'the results page opens on rolling 6-month windows');
  t.notMatch(
    results.body,
    'No neighborhood has enough responses in both periods',
    'its summary compares whole 6-month windows, so neighborhoods have figures to compare',
  );
  const city = await verdict(session, ids.city);
  t.not(city.verdict.estimate, null, 'the city-wide event is estimated');
});
