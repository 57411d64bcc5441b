import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Page } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { dateIn } from '../../src/dates.js';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { launchBrowser } from '../helper/browser.js';

interface Queued {
  answerId: string;
  day: string;
  pass: string;
  slug: string;
  fields: Record<string, string | string[]>;
}

/** Answers the form as a resident does and sends it. */
async function answer(page: Page, respect: number, listening: number) {
  await page.locator(`input[name="q_respect"][value="${respect}"]`).check();
  await page.locator(`input[name="q_listening"][value="${listening}"]`).check();
  await page.getByRole('button', { name: 'Send my answers' }).click();
}

const queued = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<Queued[]>((resolve, reject) => {
        const open = indexedDB.open('cg-kiosk');
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const all = open.result.transaction('answers').objectStore('answers').getAll();
          all.onsuccess = () => resolve(all.result as Queued[]);
          all.onerror = () => reject(new Error(String(all.error)));
        };
      }),
  );

// The server is really stopped (its port closed), not the browser set offline: a service worker's fetches ignore that.
t.test('a kiosk keeps answers while the server is down and sends each exactly once when it is back', async (t) => {
  const { app, store, config } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const admin = await createStaff(app, 'kiosk-admin@example.org', 'a long enough passphrase', 'admin');
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  const today = dateIn(config.TIME_ZONE);
  const { token } = await app.kioskLinks.issue({ surveyId: survey.id, neighborhoodId: riverside.id, eventId: null }, today, admin.id, {});
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(base).port);
  const stored = async () =>
    (
      await store.read((db) =>
        store.rows<{ day: string; n: number }>(
          db,
          sql`SELECT submitted_on AS "day", count(*) AS "n" FROM responses WHERE channel = 'kiosk' GROUP BY submitted_on`,
        ),
      )
    ).map((r) => ({ day: String(r.day), n: Number(r.n) }));

  const browser = await launchBrowser(t);
  /** A tablet opened with the kiosk link, its form loaded once through the service worker (and so in its cache). */
  const tablet = async (options: { bypassCSP?: boolean } = {}) => {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, timezoneId: config.TIME_ZONE, ...options });
    const page = await context.newPage();
    await page.goto(`${base}/kiosk/${encodeURIComponent(token)}`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.reload();
    return { context, page };
  };
  // The page's own CSP holds on this tablet; the second lets axe-core in, and is closed before the server returns.
  const { context, page } = await tablet();
  const checked = await tablet({ bypassCSP: true });
  const status = page.locator('#kiosk-queue');
  // Online, the form goes through the service worker to the server as before.
  await answer(checked.page, 5, 5);
  await checked.page.getByRole('heading', { name: 'Thank you' }).waitFor();
  t.same(await stored(), [{ day: today, n: 1 }], 'an answer sent online is stored at once');
  await checked.page.goto(`${base}/surveys/community-trust?channel=kiosk&neighborhood=riverside`);

  await app.close();
  t.equal((await fetch(base).catch((err: unknown) => err)) instanceof Error, true, 'the server is down');

  await answer(checked.page, 4, 4);
  await checked.page.locator('#kiosk-queue').getByText('1 answer is waiting').waitFor();
  const violations = serious(await axeViolations(checked.page));
  t.same(
    violations.map((v) => v.id),
    [],
    'the form saying an answer waits: no serious or critical accessibility violations',
  );
  await checked.context.close();

  await answer(page, 7, 6);
  await status.getByText('kept on this tablet').waitFor();
  t.match(await status.textContent(), /1 answer is waiting on this tablet to be sent\./);
  t.equal(await page.locator('input[name="q_respect"]:checked').count(), 0, 'the next resident gets a blank form');
  await page.goBack();
  await page.getByRole('button', { name: 'Send my answers' }).waitFor();
  t.equal(await page.locator('input:checked').count(), 0, 'and Back brings no answer back');
  await page.goForward();
  await answer(page, 2, 3);
  await status.getByText('2 answers are waiting').waitFor();
  await answer(page, 9, 10);
  await status.getByText('3 answers are waiting').waitFor();
  t.equal(await page.locator('input:checked').count(), 0, 'nothing of the answers on the page');

  await page.reload();
  await page.getByRole('button', { name: 'Send my answers' }).waitFor();
  t.pass('the form loads from the cache while the server is down');
  await status.getByText('3 answers are waiting').waitFor();
  const queue = await queued(page);
  t.equal(queue.length, 3);
  t.same(
    queue.map((q) => q.day),
    [today, today, today],
    'each kept with the day it was given',
  );
  t.equal(new Set(queue.map((q) => q.answerId)).size, 3, 'each with its own id');
  t.same(await stored(), [{ day: today, n: 1 }], 'nothing more reached the server');

  // One more kept with a pass the server will not take (as from a revoked link): refused, counted, not silently lost.
  await page.evaluate((entry) => (window as unknown as { KioskQueue: { add(e: Queued): Promise<unknown> } }).KioskQueue.add(entry), {
    ...queue[0],
    answerId: crypto.randomUUID(),
    pass: 'not a pass',
  });
  const restarted = await buildApp({ config, store });
  t.teardown(() => restarted.close());
  await restarted.listen({ port, host: '127.0.0.1' });
  await page.reload();
  await status.getByText('did not accept: 1 (').waitFor();
  t.notMatch(await status.textContent(), /waiting/, 'nothing waits any more');
  t.same(await stored(), [{ day: today, n: 4 }], 'exactly the three kept on the tablet more, dated the day given');
  t.equal((await queued(page)).length, 0, 'the tablet keeps nothing once sent');

  // The same queue sent again, twice over and all at once (a second tab, Background Sync and a timer racing).
  const statuses = await page.evaluate(
    (entries) =>
      Promise.all(
        [...entries, ...entries].map((e) =>
          fetch(`/surveys/${e.slug}/kiosk-answers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ answerId: e.answerId, day: e.day, pass: e.pass, fields: e.fields }),
          }).then((res) => res.status),
        ),
      ),
    queue,
  );
  t.same(statuses, [200, 200, 200, 200, 200, 200], 'each replay answered with the same success');
  t.same(await stored(), [{ day: today, n: 4 }], 'still three more');
  await context.close();
});
