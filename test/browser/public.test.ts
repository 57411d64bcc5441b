import { join } from 'node:path';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { surveys } from '../../src/db/schema.js';
import { generateDemo } from '../../src/demo/generate.js';
import { buildTestApp } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { artifactsDir, launchBrowser } from '../helper/browser.js';

t.test('the public page in Spanish draws its chart, in a real browser, accessibly', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  await generateDemo(store, { seed: 5, asOf: dateIn('UTC'), passwordCost: 10, dailyRate: 1.5 });
  database.db.update(surveys).set({ published: true }).run();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const errors: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'es-MX' });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));

  // No ?lang=: the browser's Spanish Accept-Language picks the language.
  await page.goto(`${base}/public/community-trust`);
  t.equal(await page.getAttribute('html', 'lang'), 'es');
  await page.getByRole('heading', { name: 'Confianza en la policía a lo largo del tiempo' }).waitFor();
  const chart = await page.evaluate(() => {
    const canvas = document.getElementById('public-trend-chart') as HTMLCanvasElement;
    const instance = (
      window as unknown as {
        Chart: { getChart(c: HTMLCanvasElement): { data: { labels: string[]; datasets: { label: string; data: (number | null)[] }[] } } | undefined };
      }
    ).Chart.getChart(canvas);
    return instance && { labels: instance.data.labels, series: instance.data.datasets.map((d) => d.label), points: instance.data.datasets[0].data.length };
  });
  t.ok(chart, 'the chart was drawn');
  t.equal(chart!.points, 24, 'two years of months');
  t.equal(chart!.series.length, 9, 'the city and 8 neighborhoods');
  t.equal(chart!.series[0], 'Toda la ciudad');
  t.match(chart!.labels[0], /\d{4}/);
  t.same(errors, [], 'no script errors under the strict CSP');
  await page.screenshot({ path: join(artifactsDir, 'public-es.png'), fullPage: true });

  await page.goto(`${base}/public/community-trust?bucket=quarter&lang=es`);
  t.equal(await page.evaluate(() => document.querySelectorAll('.trend-table tbody tr').length), 9, 'quarters: 8 full quarters and the current one');

  const axeContext = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 } });
  const small = await axeContext.newPage();
  await small.goto(`${base}/public/community-trust?lang=es`);
  t.equal(await small.evaluate(() => document.documentElement.scrollWidth), 360, 'no sideways scrolling at 360 px');
  const violations = await axeViolations(small);
  for (const v of violations) t.comment(`${v.impact} ${v.id}: ${v.help}`);
  t.same(
    serious(violations).map((v) => v.id),
    [],
  );
});
