import { join } from 'node:path';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { demoStaff } from '../../src/demo/generate.js';
import { axeViolations, serious } from '../helper/axe.js';
import { artifactsDir, launchBrowser } from '../helper/browser.js';
import { buildDemoApp } from '../helper/demo.js';

/** Pages in a PDF: its /Type /Page objects (not the /Type /Pages tree). */
const pdfPages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;

// One small demo city, server and browser for every check below.
t.test('the public neighborhood choice, the results summary and the meeting brief in a real browser', async (t) => {
  // The demo city of the public page's tests (test/helper/demo.ts generates it once per process), published.
  const { app } = await buildDemoApp(t, { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  // axe is injected as an inline script, which our CSP refuses; this context bypasses CSP for the audits only.
  const audit = await (await browser.newContext({ bypassCSP: true })).newPage();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));

  t.test('the public page fits phones, with and without a chosen neighborhood, and its tooltips stay on screen', async (t) => {
    for (const width of [320, 360, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      for (const query of ['', '?neighborhood=riverside']) {
        await page.goto(`${base}/public/community-trust${query}`);
        t.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, `${width} px${query}: no sideways scrolling`);
      }
    }
    await page.setViewportSize({ width: 320, height: 800 });
    await page.goto(`${base}/public/community-trust`);
    await page.getByLabel('Your neighborhood').selectOption('riverside');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/neighborhood=riverside/);
    t.match(await page.locator('.comparison-summary').innerText(), /^In Riverside, trust in police is \d+ out of 100/);
    const canvas = page.locator('#public-trend-chart');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    // Hover near the right edge and the top, where a tooltip would most easily leave the chart.
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 3);
    const tip = await page.evaluate(() => {
      type Tooltip = { opacity: number; x: number; y: number; width: number; height: number };
      type ChartLike = { data: { datasets: unknown[] }; tooltip: Tooltip; width: number; height: number };
      const chart = (window as unknown as { Chart: { getChart(c: HTMLElement | null): ChartLike } }).Chart.getChart(
        document.getElementById('public-trend-chart'),
      );
      const tooltip = chart.tooltip;
      return {
        lines: chart.data.datasets.length,
        shown: tooltip.opacity > 0,
        x: tooltip.x,
        y: tooltip.y,
        w: tooltip.width,
        h: tooltip.height,
        cw: chart.width,
        ch: chart.height,
      };
    });
    t.equal(tip.lines, 2, 'the chart shows the city and Riverside');
    t.ok(tip.shown, 'a tooltip shows');
    t.ok(tip.x >= 0 && tip.x + tip.w <= tip.cw && tip.y >= 0 && tip.y + tip.h <= tip.ch, `the tooltip stays inside the chart (${JSON.stringify(tip)})`);
    await page.screenshot({ path: join(artifactsDir, 'public-neighborhood-320.png'), fullPage: true });
    t.same(errors, [], 'no script or CSP errors');

    await audit.setViewportSize({ width: 360, height: 740 });
    for (const path of ['/public/community-trust?neighborhood=riverside', '/public/community-trust?neighborhood=riverside&lang=es']) {
      await audit.goto(`${base}${path}`);
      const violations = await axeViolations(audit);
      for (const v of violations) t.comment(`${path}: ${v.impact} ${v.id}: ${v.help}`);
      t.same(
        serious(violations).map((v) => v.id),
        [],
        `${path}: no serious or critical violations`,
      );
    }
  });

  t.test('liaisons see the summary on the first screen, and the meeting brief prints on one page', async (t) => {
    for (const p of [page, audit]) {
      await p.setViewportSize({ width: 1280, height: 800 });
      await p.goto(`${base}/login`);
      await p.getByLabel('Email').fill(demoStaff[1].email);
      await p.getByLabel('Password').fill(demoStaff[1].password);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.waitForURL(`${base}/results`);
    }
    const summary = (await page.locator('.results-summary').boundingBox())!;
    t.ok(
      summary.y >= 0 && summary.y + summary.height <= 800,
      `the whole summary is in the first 800 px (${Math.round(summary.y)}–${Math.round(summary.y + summary.height)})`,
    );
    t.equal(await page.locator('.filters').isVisible(), false, 'filters collapsed');
    await page.screenshot({ path: join(artifactsDir, 'results-summary-1280.png') });
    await page.locator('.filters-details > summary').click();
    t.ok(await page.getByLabel('Group by').isVisible(), 'and open on a click');

    await page.goto(`${base}/results/riverside`);
    await page.emulateMedia({ media: 'print' });
    t.equal(await page.locator('.filters').isVisible(), false, 'the neighborhood page prints without filters');
    t.equal(await page.locator('.site-header').isVisible(), false, 'and without the navigation');
    await page.emulateMedia({ media: 'screen' });
    await page.getByRole('link', { name: 'Meeting brief (one page, printable)' }).click();
    await page.getByRole('heading', { name: 'Riverside: meeting brief' }).waitFor();
    // page.pdf() prints with the media last emulated: back to print, as a browser's Print does.
    await page.emulateMedia({ media: 'print' });
    for (const format of ['A4', 'Letter']) {
      const pdf = await page.pdf({ format, margin: { top: '12mm', bottom: '12mm', left: '12mm', right: '12mm' } });
      t.equal(pdfPages(pdf), 1, `the brief prints as one ${format} page`);
    }
    await page.screenshot({ path: join(artifactsDir, 'brief-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    t.same(errors, [], 'no script or CSP errors');

    for (const path of ['/results', '/results/riverside', '/results/riverside/brief']) {
      await audit.goto(`${base}${path}`);
      const violations = await axeViolations(audit);
      for (const v of violations) t.comment(`${path}: ${v.impact} ${v.id}: ${v.help}`);
      t.same(
        serious(violations).map((v) => v.id),
        [],
        `${path}: no serious or critical violations`,
      );
    }
  });
});
