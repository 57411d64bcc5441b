import t from 'tap';
import { ADMIN, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, rowCount } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { launchBrowser } from '../helper/browser.js';

t.test('deleting an event asks first on its own page, then says it is done; changed staff pages pass axe', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  await staffSessions(app);
  database.db
    .update((await import('../../src/db/schema.js')).surveys)
    .set({ published: true })
    .run();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);

  for (const width of [320, 1280]) {
    const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    const check = async (label: string) => {
      t.same(
        serious(await axeViolations(page)).map((v) => v.id),
        [],
        `${label} at ${width} px: no serious or critical violations`,
      );
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${label} at ${width} px: no sideways scrolling`);
    };
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/admin`);
    t.equal(await page.getAttribute('html', 'lang'), 'en', 'staff pages are marked English');

    await page.goto(`${base}/events/new?lang=es`);
    t.equal(await page.getAttribute('html', 'lang'), 'en', 'even when Spanish was chosen on resident pages');
    await check('event form');
    await page.getByLabel('Title in English').fill('Cookout');
    await page.getByLabel('Title in Español').fill('Parrillada');
    await page.getByLabel('Date').fill('2026-03-18');
    await page.getByLabel('Community outreach').check();
    await page.getByRole('button', { name: 'Save event' }).click();
    await page.getByText('Event “Cookout” added.').waitFor();

    await page.goto(`${base}/events`);
    await page.getByRole('button', { name: 'Delete Cookout' }).click();
    await page.getByRole('heading', { name: 'Delete the event “Cookout”?' }).waitFor();
    t.equal(await rowCount(store, 'events'), 1, 'nothing deleted before confirming');
    await check('confirmation page');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`${base}/events`);
    t.equal(await rowCount(store, 'events'), 1, 'cancel keeps it');
    await page.getByRole('button', { name: 'Delete Cookout' }).click();
    await page.getByRole('button', { name: 'Delete event' }).click();
    await page.getByText('Event “Cookout” deleted.').waitFor();
    t.equal(await rowCount(store, 'events'), 0);
    await check('events list with a message');

    await page.goto(`${base}/admin/audit`);
    await check('audit log');
    await page.goto(`${base}/admin/surveys/1`);
    await check('survey page with its embed code');
    t.match(await page.locator('#field-embed-code').inputValue(), /^<iframe src="http:\/\/[^"]+\/public\/community-trust\/embed\?lang=en"/);
    await page.goto(`${base}/admin/import`);
    await check('import page');
    await context.close();
  }
});
