import { readFileSync } from 'node:fs';
import t from 'tap';
import { surveys } from '../../src/db/schema.js';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';
import { seedResponses } from '../helper/admin.js';
import { launchBrowser } from '../helper/browser.js';

t.test('each neighborhood keeps its colour whatever else is selected; charts download as PNG and their tables as CSV', async (t) => {
  const { app, store } = await buildTestApp(t);
  const areas = await addNeighborhoods(store, 'Alder', 'Birch', 'Cedar', 'Dogwood', 'Elm', 'Fir', 'Gum', 'Hazel', 'Ironwood');
  const today = new Date().toISOString().slice(0, 10);
  await seedResponses(
    app,
    areas.flatMap((n) => Array.from({ length: 3 }, () => ({ neighborhoodId: n.id, submittedOn: today, answers: { respect: 7, listening: 6 } }))),
  );
  await createStaff(app, 'liaison@example.org', 'a long liaison password', 'liaison');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill('liaison@example.org');
  await page.getByLabel('Password').fill('a long liaison password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/results`);

  const styles = async (query: string) => {
    await page.goto(`${base}/results?${query}`);
    return page.evaluate(() => {
      const canvas = document.getElementById('trend-chart') as HTMLCanvasElement;
      type Dataset = { band?: boolean; area: string; borderColor: string; borderDash?: number[] };
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: Dataset[] } } } }).Chart.getChart(canvas);
      return Object.fromEntries(
        chart.data.datasets.filter((d) => !d.band).map((d) => [d.area, { color: d.borderColor, dash: (d.borderDash ?? []).join(' ') }]),
      );
    });
  };
  const all = await styles(areas.map((n) => `neighborhood=${n.slug}`).join('&'));
  t.equal(all.city.color, '#1b1f23', 'the city line is black');
  t.equal(new Set(areas.slice(0, 8).map((n) => all[n.slug].color)).size, 8, 'eight neighborhoods, eight colours');
  t.equal(all.alder.color, '#0072B2', 'colours follow the neighborhoods by id (Okabe–Ito)');
  t.not(all.ironwood.dash, '', 'the ninth repeats a colour with a dash pattern');
  t.same(all.ironwood.color, all.alder.color);

  const cedarOnly = await styles('neighborhood=cedar');
  t.same(cedarOnly.cedar, all.cedar, 'Cedar keeps its colour when shown alone');
  const two = await styles('neighborhood=hazel&neighborhood=birch');
  t.same([two.birch, two.hazel], [all.birch, all.hazel], 'and in another selection');

  const png = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the chart (PNG)' }).first().click()]);
  t.equal(png[0].suggestedFilename(), 'trend-chart.png');
  t.same([...readFileSync(await png[0].path()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  const csv = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the table (CSV)' }).first().click()]);
  t.equal(csv[0].suggestedFilename(), 'trend-chart.csv');
  const lines = readFileSync(await csv[0].path(), 'utf8')
    .replace(/^\ufeff/, '')
    .split('\r\n');
  t.match(lines[0], /^Period,City-wide,Birch,Hazel/, 'the table as CSV, headed like the table');
});

t.test('the embed is compact: chart and a scrolling table fit a frame of about 900 px', async (t) => {
  const { app, store, database } = await buildTestApp(t, { EMBED_ORIGINS: 'https://city.example.gov' });
  await addNeighborhoods(store, 'Alder', 'Birch', 'Cedar', 'Dogwood', 'Elm', 'Fir', 'Gum', 'Hazel');
  database.db.update(surveys).set({ published: true }).run();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 600, height: 900 } });
  await page.goto(`${base}/public/community-trust/embed?bucket=month`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  t.comment(`embed height at 600 px: ${height} px`);
  t.ok(height <= 1000, `the embed is at most 1000 px tall (${height})`);
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
  t.equal((await page.locator('.table-scroll table tbody tr').count()) > 0, true, 'the figures are still there, in the table');
});
