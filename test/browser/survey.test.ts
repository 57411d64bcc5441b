import { join } from 'node:path';
import t from 'tap';
import { addNeighborhoods, buildTestApp, rowCount } from '../helper/app.js';
import { artifactsDir, launchBrowser } from '../helper/browser.js';

t.test('a resident answers the survey on a 360 px phone, with JavaScript off', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
  const page = await context.newPage();

  await page.goto(`${base}/surveys/community-trust`);
  t.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'no sideways scrolling at 360 px');

  // Submitting with no neighborhood shows the error summary linked to the field.
  await page.getByLabel('10 – Strongly agree').first().check();
  await page.getByRole('button', { name: 'Send my answers' }).click();
  t.match(await page.locator('.error-summary').innerText(), 'Please choose your neighborhood from the list.');
  t.ok(await page.getByRole('radio', { name: '10 – Strongly agree' }).first().isChecked(), 'the answer given is kept');
  await page.screenshot({ path: join(artifactsDir, 'survey-errors-360.png'), fullPage: true });

  await page.getByRole('combobox', { name: /Your neighborhood/ }).selectOption('old-town');
  await page
    .getByRole('group', { name: /how safe do you feel/ })
    .getByRole('radio', { name: '7 out of 10' })
    .check();
  await page
    .getByRole('group', { name: /treat everyone fairly/ })
    .getByLabel('Strongly agree')
    .check();
  await page.getByLabel(/number one issue/).fill('Speeding near the school');
  await page.getByRole('group', { name: 'What is your age?' }).getByLabel('35–44').check();
  await page.getByRole('button', { name: 'Send my answers' }).click();

  await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  await page.screenshot({ path: join(artifactsDir, 'survey-thanks-360.png'), fullPage: true });
  t.equal(await rowCount(store, 'responses'), 1);
  t.equal(
    await rowCount(store, "answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue' AND a.value_text = 'Speeding near the school'"),
    1,
  );
  t.equal(await rowCount(store, "answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'respect' AND a.value_number = 10"), 1);
  t.equal(await rowCount(store, 'answers'), 5);

  await page.goto(`${base}/surveys/community-trust`);
  t.match(await page.locator('.notice').innerText(), 'You answered this survey on');
});

t.test('the whole form can be answered and sent with the keyboard alone', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(`${base}/surveys/community-trust?lang=es`);

  const focusedName = () => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name ?? '');
  // Tab to the neighborhood list and choose with the arrow key.
  for (let i = 0; i < 40 && (await focusedName()) !== 'neighborhood'; i++) await page.keyboard.press('Tab');
  t.equal(await focusedName(), 'neighborhood');
  await page.keyboard.press('ArrowDown');
  // Each radio group is one tab stop; an arrow key picks a value within it.
  const visited: string[] = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const name = await focusedName();
    if (name.startsWith('q_') && !visited.includes(name)) {
      visited.push(name);
      if (name !== 'q_top_issue') await page.keyboard.press('ArrowRight');
      else await page.keyboard.type('Más luz en la calle');
    }
    if ((await page.evaluate(() => document.activeElement?.tagName)) === 'BUTTON') break;
  }
  t.equal(visited.length, 12, 'every question reached by Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  t.equal(outline, 'solid', 'focus is visible');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Gracias' }).waitFor();
  t.equal(await rowCount(store, "responses WHERE language = 'es'"), 1);
  t.equal(await rowCount(store, 'answers'), 12);
});
