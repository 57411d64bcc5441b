import { join } from 'node:path';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { demoStaff, generateDemo } from '../../src/demo/generate.js';
import { buildTestApp, login } from '../helper/app.js';
import { axeViolations } from '../helper/axe.js';
import { artifactsDir, launchBrowser } from '../helper/browser.js';

// One demo city, server and browser for all the checks below, to keep the suite fast.
t.test('results pages in a real browser', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  // Even the Mill District gets about 240 responses a month: enough for every month of the event windows to be shown.
  await generateDemo(store, { seed: 11, asOf: dateIn('UTC'), passwordCost: 10, dailyRate: 3 });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);

  t.test('a liaison logs in, lands on the results and sees the trend chart with its event markers', async (t) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    // Browsers ask for /favicon.ico on their own; every other request must succeed.
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
    });

    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(demoStaff[1].email);
    await page.getByLabel('Password').fill(demoStaff[1].password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/results`);
    // The chart is drawn by the page's script once it has loaded: wait for it rather than race it.
    await page.waitForFunction(() => {
      const charts = (window as unknown as { Chart?: { getChart(c: HTMLElement | null): unknown } }).Chart;
      return charts?.getChart(document.getElementById('trend-chart')) !== undefined;
    });

    const chart = await page.evaluate(() => {
      const canvas = document.getElementById('trend-chart') as HTMLCanvasElement;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js is loaded by the page, its types are not
      const instance = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): any } }).Chart.getChart(canvas);
      return {
        labels: instance.data.labels.length,
        datasets: instance.data.datasets.map((d: { label: string; data: unknown[] }) => ({ label: d.label, points: d.data.length })),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js annotation options, untyped in the page
        annotations: Object.values(instance.options.plugins.annotation.annotations).map((a: any) => ({ type: a.type, x: a.xMin, text: a.label.content })),
        width: canvas.getBoundingClientRect().width,
      };
    });
    const expectedEvents = database.sqlite
      .prepare(
        "SELECT json_extract(title, '$.en') FROM events WHERE occurred_on >= date('now', '-12 months', 'start of month') AND occurred_on < date('now', 'start of month') ORDER BY occurred_on",
      )
      .pluck()
      .all();
    t.equal(chart.labels, 12, 'twelve months by default');
    t.equal(chart.datasets.length, 9, 'the city and eight neighborhoods');
    t.ok(
      chart.datasets.every((d: { points: number }) => d.points === 12),
      'twelve points per line',
    );
    t.equal(chart.datasets[0].label, 'City-wide');
    t.same(
      chart.annotations.map((a: { text: string }) => a.text),
      expectedEvents.map((_, i) => String(i + 1)),
      'one numbered marker per event in the range',
    );
    t.same(await page.locator('#trend-title ~ ol li a').allInnerTexts(), expectedEvents, 'the numbered list names them');
    t.ok(chart.annotations.length >= 2 && chart.annotations.every((a: { type: string }) => a.type === 'line'));
    t.ok(chart.width > 600, 'the chart fills the page');
    t.same(errors, [], 'no script or CSP errors');
    await page.screenshot({ path: join(artifactsDir, 'results-desktop.png'), fullPage: true });

    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/results`);
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'no sideways scrolling at 360 px');
    await page.screenshot({ path: join(artifactsDir, 'results-360.png'), fullPage: true });
    await page.goto(`${base}/events`);
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'the events list fits a 360 px phone too');
    await page.goto(`${base}/results`);
    await page
      .locator('figure.chart')
      .first()
      .screenshot({ path: join(artifactsDir, 'results-chart-360.png') });

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/results/riverside`);
    t.ok(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js is loaded by the page, its types are not
      await page.evaluate(() => (window as any).Chart.getChart(document.getElementById('trend-chart')).data.datasets.length === 4),
      'band (2), Riverside and the city',
    );
    await page.screenshot({ path: join(artifactsDir, 'results-neighborhood.png'), fullPage: true });
    await page.getByRole('link', { name: 'Cookout with officers at Riverside Park' }).first().click();
    await page.getByRole('heading', { name: 'Cookout with officers at Riverside Park' }).waitFor();
    // The chart is drawn after the page's script loads: wait for it, as a reader would.
    await page.waitForFunction(() => {
      const charts = (window as unknown as { Chart?: { getChart(c: HTMLElement | null): unknown } }).Chart;
      return charts?.getChart(document.getElementById('impact-chart')) !== undefined;
    });
    const boxes = await page.evaluate(() =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js is loaded by the page, its types are not
      Object.keys((window as any).Chart.getChart(document.getElementById('impact-chart')).options.plugins.annotation.annotations),
    );
    t.same(boxes.sort(), ['after', 'before', 'event']);
    await page.screenshot({ path: join(artifactsDir, 'event-impact.png'), fullPage: true });
    t.same(errors, [], 'no script or CSP errors on any page');
  });

  t.test('with JavaScript off the results are tables, and no empty chart box shows', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(demoStaff[1].email);
    await page.getByLabel('Password').fill(demoStaff[1].password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/results`);
    t.equal(await page.locator('.chart-box').first().isVisible(), false);
    t.equal(
      await page
        .getByRole('table', { name: /per period/ })
        .getByRole('row')
        .count(),
      13,
      'header and twelve months',
    );
    // The filters sit collapsed under the summary; a <details> element opens without JavaScript.
    await page.getByText('Filters: survey, measure, period, neighborhoods').click();
    await page.getByLabel('Group by').selectOption('quarter');
    await page.getByRole('button', { name: 'Show results' }).click();
    t.match(page.url(), 'bucket=quarter');
  });

  t.test('results, event and form pages pass axe-core WCAG 2.2 AA checks', async (t) => {
    // axe is injected as an inline script, which our CSP rightly refuses; only this audit context bypasses it.
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(demoStaff[1].email);
    await page.getByLabel('Password').fill(demoStaff[1].password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/results`);
    for (const path of ['/results', '/results/riverside', '/results/weighting', '/events', '/events/1', '/events/new', '/results?bucket=day']) {
      await page.goto(`${base}${path}`);
      // Every violation, not only serious ones: these pages are new and start clean.
      const violations = (await axeViolations(page)).map((v) => `${v.id} (${v.nodes.length})`);
      t.same(violations, [], `${path}: no violations`);
    }
    await page.goto(`${base}/results/weighting`);
    t.ok(await page.locator('canvas[id^="shares-"]').first().isVisible(), 'the census comparison draws its charts');
  });

  t.test('in the demo city the cookout shows a rise and the incident a fall, beyond the city-wide drift', async (t) => {
    const { jar } = await login(app, demoStaff[1].email, demoStaff[1].password);
    const id = (title: string) => database.sqlite.prepare("SELECT id FROM events WHERE json_extract(title, '$.en') LIKE ?").pluck().get(`${title}%`) as number;
    const impact = async (eventId: number) => (await app.inject({ url: `/api/events/${eventId}/impact?months=6`, headers: { cookie: jar.header() } })).json();
    const cookout = await impact(id('Cookout'));
    t.equal(cookout.months, 6);
    t.ok(cookout.differenceInDifferences.ci_low > 0, `cookout DiD ${cookout.differenceInDifferences.estimate.toFixed(1)} clearly above 0`);
    const incident = await impact(id('Use-of-force'));
    t.ok(incident.differenceInDifferences.ci_high < 0, `incident DiD ${incident.differenceInDifferences.estimate.toFixed(1)} clearly below 0`);
  });
});
