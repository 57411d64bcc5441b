import t from 'tap';
import { ADMIN, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { axeViolations } from '../helper/axe.js';
import { launchBrowser } from '../helper/browser.js';

t.test('admin pages pass axe (WCAG 2.2 AA) at 360 px, error states included', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  await staffSessions(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  // Only so the test can inject axe: the pages have no script of their own.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/admin`);

  const audit = async (label: string) => {
    // Every violation fails here, not only serious ones: these pages are new.
    const violations = await axeViolations(page);
    t.same(
      violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      [],
      label,
    );
    t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), `${label}: no sideways scrolling`);
  };

  for (const path of [
    '/admin/surveys/1',
    '/admin/surveys/1/questions/1/edit',
    '/admin/surveys/1/themes',
    '/admin/surveys/1/themes?answer=drug+dealing',
    '/admin/surveys/1/themes/1/edit',
    '/admin/neighborhoods',
    '/admin/margins',
    '/admin/margins/community-trust/riverside',
    '/admin/staff',
    '/admin/export',
    '/admin/import',
    '/admin/responses',
    '/admin/audit',
  ]) {
    await page.goto(`${base}${path}`);
    await audit(path);
  }
  await page.goto(`${base}/admin/neighborhoods`);
  await page.getByRole('button', { name: 'Add neighborhood' }).click();
  t.match(await page.locator('.error-summary').innerText(), 'Enter the neighborhood’s name.');
  await audit('neighborhood form with errors');
  await page.goto(`${base}/admin/surveys/1/questions/1/edit`);
  await page.getByLabel('Code').fill('Bad Code');
  await page.getByRole('button', { name: 'Save question' }).click();
  await page.locator('.error-summary a[href="#field-code"]').click();
  t.equal(await page.evaluate(() => document.activeElement?.id), 'field-code', 'the summary link lands on the field');
  await audit('question form with errors');
  await page.goto(`${base}/admin/surveys/1/themes/new`);
  await page.getByRole('button', { name: 'Add theme' }).click();
  await page.locator('.error-summary a[href="#field-keywords_en"]').click();
  t.equal(await page.evaluate(() => document.activeElement?.id), 'field-keywords_en', 'the summary link lands on the keywords');
  await audit('theme form with errors');
  await page.goto(`${base}/admin/margins/community-trust/riverside`);
  await page.getByLabel('Source').fill('ACS 2019–2023 5-year');
  await page.getByLabel('Year').fill('2023');
  await page.getByRole('button', { name: 'Save margins' }).click();
  await page.locator('.error-summary a[href="#field-count-age_band-18_24"]').click();
  t.equal(await page.evaluate(() => document.activeElement?.id), 'field-count-age_band-18_24', 'the summary link lands on the question’s first count');
  await audit('margins form with errors');
  await page.goto(`${base}/admin/margins`);
  await page.getByRole('button', { name: 'Check and save' }).click();
  t.match(await page.locator('.error-summary').innerText(), 'Choose a CSV file to upload.');
  await audit('margins upload with errors');
});
