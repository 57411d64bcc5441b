import { eq } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, createStaff, login, testDialect } from '../helper/app.js';
import { launchBrowser } from '../helper/browser.js';

const payload = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 1">"'&`;
const raw = ['<script>window.__xss', '<img src=x onerror'];

/** Puts the payload into every text staff or residents can write that pages show. */
async function seedPayload(t: Parameters<typeof buildTestApp>[0]) {
  const built = await buildTestApp(t);
  const { store } = built;
  const { events, neighborhoods, questions, surveys, themes } = store.tables;
  const event = await store.transaction(async (tx) => {
    await tx.update(surveys).set({ title: { en: `Survey ${payload}`, es: `Encuesta ${payload}` }, intro: { en: payload, es: payload }, published: true });
    await tx
      .update(questions)
      .set({ prompt: { en: `Respect ${payload}`, es: payload } })
      .where(eq(questions.code, 'respect'));
    await tx
      .update(themes)
      .set({ label: { en: `Drugs ${payload}`, es: payload }, keywords: { en: [payload], es: [payload] } })
      .where(eq(themes.code, 'drugs'));
    const [neighborhood] = await tx
      .insert(neighborhoods)
      .values({ slug: 'evil', name: `Evil ${payload}` })
      .returning();
    const [created] = await tx
      .insert(events)
      .values({
        title: { en: `Party ${payload}`, es: `Fiesta ${payload}` },
        description: payload,
        occurredOn: '2026-05-01',
        kind: 'outreach',
        neighborhoodId: neighborhood.id,
      })
      .returning();
    return created;
  });
  await createStaff(built.app, 'admin@example.org', 'correct horse battery', 'admin');
  return { ...built, event };
}

/** Staff and resident pages that show those texts; a new page showing them belongs here. */
function pagesShowingText(eventId: number) {
  return [
    '/',
    '/surveys/community-trust',
    '/surveys/community-trust?neighborhood=evil',
    '/surveys/community-trust/thanks',
    `/outreach?survey=community-trust&neighborhood=evil&event=${eventId}`,
    `/outreach/poster?survey=community-trust&neighborhood=evil&event=${eventId}`,
    '/results',
    '/results/evil',
    '/events',
    `/events/${eventId}`,
    `/events/${eventId}/edit`,
    '/admin/neighborhoods',
    '/admin/surveys',
    '/admin/surveys/1',
    '/admin/surveys/1/preview',
    '/admin/surveys/1/themes',
    `/admin/surveys/1/themes?answer=${encodeURIComponent(`drugs ${payload}`)}`,
    '/admin/surveys/1/themes/1/edit',
    '/admin/export',
    '/public',
    '/public/community-trust',
    '/public/community-trust/embed',
  ];
}

t.test('markup in survey texts, names and event titles is shown escaped everywhere', async (t) => {
  const { app, event } = await seedPayload(t);
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  for (const url of pagesShowingText(event.id)) {
    const res = await app.inject({ url, headers: { cookie: jar.header() } });
    t.equal(res.statusCode, 200, url);
    for (const fragment of raw) t.notMatch(res.body, fragment, `${url}: no raw ${fragment}`);
  }
  const form = await app.inject('/surveys/community-trust');
  t.match(form.body, 'Survey &lt;script&gt;window.__xss &#x3D; 1&lt;/script&gt;', 'shown as text');
});

t.test(
  'in a real browser, the payload does not run',
  { skip: testDialect === 'sqlite' ? false : 'what the browser runs does not depend on the database: checked on SQLite' },
  async (t) => {
    const { app, event } = await seedPayload(t);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchBrowser(t);
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill('admin@example.org');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    for (const url of pagesShowingText(event.id)) {
      await page.goto(`${base}${url}`);
      t.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `${url}: nothing executed`);
    }
    await page.goto(`${base}/surveys/community-trust`);
    t.match(await page.locator('h1').innerText(), '<script>window.__xss = 1</script>', 'the title reads as typed');
    t.same(dialogs, []);
  },
);
