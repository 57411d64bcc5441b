import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { buildTestApp } from '../helper/app.js';
import { buildDemoApp } from '../helper/demo.js';

const demoApp = (t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) =>
  buildDemoApp(t, { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 }, { env });

const chartData = (html: string) => JSON.parse(/<script type="application\/json" id="public-trend-data"[^>]*>([^<]*)<\/script>/.exec(html)![1]);

t.test('the public figures as JSON: exactly what the page shows, without logging in', async (t) => {
  const { app } = await demoApp(t);
  for (const query of ['', '?bucket=quarter', '?lang=es']) {
    const page = await app.inject(`/public/community-trust${query}`);
    const json = await app.inject(`/public/community-trust/data.json${query}`);
    t.equal(json.statusCode, 200, query);
    t.match(json.headers['content-type'], /^application\/json/);
    const figures = json.json();
    t.same(figures.trust, chartData(page.body).trends, `trust over time is the page's ${query}`);
    t.same(
      figures.events.map((e: { title: string }) => e.title),
      chartData(page.body).events.map((e: { title: string }) => e.title),
      'the same public events',
    );
    for (const area of figures.dimensions.areas) t.match(page.body, area.name, 'each area of the dimensions table is on the page');
  }
  t.equal((await app.inject('/public/community-trust/data.json?lang=es')).json().language, 'es');
});

t.test('small groups are hidden in the JSON as on the page; unpublished surveys are not found', async (t) => {
  const { app } = await demoApp(t, { MIN_GROUP_SIZE: '200', MIN_RELIABLE_SIZE: '200', LOW_RELIABILITY_SIZE: '400' });
  const figures = (await app.inject('/public/community-trust/data.json?bucket=quarter')).json();
  const cells = [...figures.trust.series, ...figures.dimensions.areas].flatMap((s: { cells: { n: number | null; mean: number | null }[] }) => s.cells);
  t.ok(
    cells.some((c) => c.n === null),
    'some groups are hidden',
  );
  for (const c of cells) t.ok(c.n === null ? c.mean === null : c.n >= 200, 'a shown group has at least 200 responses; a hidden one has no mean');

  const { app: unpublished } = await buildTestApp(t); // the standard survey, never published
  const res = await unpublished.inject('/public/community-trust/data.json');
  t.equal(res.statusCode, 404);
  t.equal(res.json().error, 'Not Found');
});
