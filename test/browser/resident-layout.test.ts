import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { dateIn } from '../../src/dates.js';
import { addNeighborhoods, buildTestApp, createStaff, rowCount } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { artifactsDir, launchBrowser } from '../helper/browser.js';

const widths = [320, 360, 1280];

async function checkAxe(t: Test, page: Page, name: string) {
  const violations = await axeViolations(page);
  for (const v of violations) t.comment(`${name}: ${v.impact} ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  t.same(
    serious(violations).map((v) => v.id),
    [],
    `${name}: no serious or critical violations`,
  );
}

const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** Every scale option: its size, and whether its words stay inside its box. */
const scaleOptions = (page: Page) =>
  page.locator('.scale .option').evaluateAll((options) =>
    options.map((option) => {
      const box = option.getBoundingClientRect();
      const text = option.querySelector('.option-text')!.getBoundingClientRect();
      return {
        id: option.getAttribute('for'),
        width: box.width,
        height: box.height,
        inside:
          option.scrollWidth <= option.clientWidth + 1 &&
          text.left >= box.left - 0.5 &&
          text.right <= box.right + 0.5 &&
          text.top >= box.top - 0.5 &&
          text.bottom <= box.bottom + 0.5,
      };
    }),
  );

t.test('scales read and tap well at 320, 360 and 1280 px in English and Spanish, and say what each option means', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);

  for (const width of widths) {
    const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    for (const lang of ['en', 'es']) {
      await page.goto(`${base}/surveys/community-trust?lang=${lang}`);
      t.ok(await noSidewaysScroll(page), `${lang} form at ${width} px: no sideways scrolling`);
      const options = await scaleOptions(page);
      t.equal(options.length, 4 * 11 + 3 * 5, 'every scale option measured');
      t.same(
        options.filter((o) => o.width < 24 || o.height < 24 || !o.inside),
        [],
        `${lang} at ${width} px: every option at least 24×24 px with its words inside its box`,
      );
      await page.screenshot({ path: join(artifactsDir, `survey-${lang}-${width}.png`), fullPage: true });
      await checkAxe(t, page, `${lang} form at ${width} px`);
    }

    // Accessible names carry each option's meaning.
    await page.goto(`${base}/surveys/community-trust?lang=en`);
    const safety = page.getByRole('group', { name: /how safe do you feel/ });
    for (const name of ['0 – Not safe at all', '7 out of 10', '10 – Completely safe']) {
      t.equal(await safety.getByRole('radio', { name, exact: true }).count(), 1, `safety option named "${name}"`);
    }
    const fairness = page.getByRole('group', { name: /treat everyone fairly/ });
    for (const name of ['Strongly disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', 'Strongly agree']) {
      t.equal(await fairness.getByRole('radio', { name, exact: true }).count(), 1, `fairness option named "${name}"`);
    }
    await page.goto(`${base}/surveys/community-trust?lang=es`);
    const seguridad = page.getByRole('group', { name: /qué tan seguro/i });
    for (const name of ['0 – Nada seguro', '7 de 10', '10 – Completamente seguro']) {
      t.equal(await seguridad.getByRole('radio', { name, exact: true }).count(), 1, `opción "${name}"`);
    }

    // The form with errors and the thank-you page fit too.
    await page.goto(`${base}/surveys/community-trust?lang=en`);
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await page.locator('.error-summary').waitFor();
    t.ok(await noSidewaysScroll(page), `form with errors at ${width} px: no sideways scrolling`);
    await checkAxe(t, page, `form with errors at ${width} px`);
    await page.goto(`${base}/surveys/community-trust/thanks`);
    t.ok(await noSidewaysScroll(page), `thank-you page at ${width} px: no sideways scrolling`);
    await page.goto(`${base}/`);
    t.ok(await noSidewaysScroll(page), `home at ${width} px: no sideways scrolling`);
    await context.close();
  }
});

t.test('the language choice at the top keeps every answer, with JavaScript off', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
  const page = await context.newPage();

  await page.goto(`${base}/surveys/community-trust`);
  await page.getByRole('combobox', { name: /Your neighborhood/ }).selectOption('old-town');
  await page
    .getByRole('group', { name: /how safe do you feel/ })
    .getByRole('radio', { name: '3 out of 10' })
    .check();
  await page
    .getByRole('group', { name: /treat everyone fairly/ })
    .getByRole('radio', { name: 'Agree', exact: true })
    .check();
  await page.getByLabel(/number one issue/).fill('Más luz en la calle');
  const switchButton = page.getByRole('button', { name: 'Español' });
  const box = (await switchButton.boundingBox())!;
  t.ok(box.y < 100, 'the language choice is at the top of the page');
  await switchButton.click();

  await page.getByRole('button', { name: 'Enviar mis respuestas' }).waitFor();
  t.equal(await page.getAttribute('html', 'lang'), 'es');
  t.equal(await page.getByRole('combobox', { name: /Su vecindario/ }).inputValue(), 'old-town', 'the neighborhood is kept');
  t.ok(
    await page
      .getByRole('group', { name: /qué tan seguro/i })
      .getByRole('radio', { name: '3 de 10' })
      .isChecked(),
    'a 0–10 answer is kept',
  );
  t.ok(await page.getByRole('radio', { name: 'De acuerdo', exact: true }).first().isChecked(), 'a 5-point answer is kept');
  t.equal(await page.getByLabel(/problema número uno/i).inputValue(), 'Más luz en la calle', 'typed text is kept');
  t.equal(await page.locator('.error-summary').count(), 0, 'no errors shown');
  t.equal(await rowCount(store, 'responses'), 0, 'nothing stored');

  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Send my answers' }).click();
  await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  t.equal(await rowCount(store, "responses WHERE language = 'en'"), 1);
  t.equal(await rowCount(store, "answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'safety' AND a.value_number = 3"), 1);
});

t.test('a failed submit is announced in the title and focuses the error summary; its links land with the label and error in view', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);

  for (const javaScriptEnabled of [false, true]) {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 }, javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${base}/surveys/community-trust`);
    t.equal(await page.title(), 'Community Trust Survey · Common Ground');
    await page
      .getByRole('group', { name: /how safe do you feel/ })
      .getByRole('radio', { name: '5 out of 10' })
      .check();
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await page.locator('.error-summary').waitFor();
    t.equal(await page.title(), 'Error: Community Trust Survey · Common Ground', 'the title says there is an error');
    t.equal(await focusLandsOn(page, 'error-summary'), 'error-summary', `focus on the error summary (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`);
    if (!javaScriptEnabled) continue;
    await page.getByRole('link', { name: 'Please choose your neighborhood from the list.' }).click();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'field-neighborhood', 'the link focuses the list');
    const inView = async (selector: string) => {
      const b = (await page.locator(selector).boundingBox())!;
      return b.y >= 0 && b.y + b.height <= 640;
    };
    t.ok(await inView('label[for="field-neighborhood"]'), 'its label is in view');
    t.ok(await inView('#field-neighborhood-error'), 'its error is in view');
    await context.close();
  }
  await thanksTitle(t, browser, base);
});

/** The focused element's id once it is `id`, or after 5 s whatever it is: Chromium applies `autofocus` at a later frame. */
async function focusLandsOn(page: Page, id: string) {
  await page.waitForFunction((expected) => document.activeElement?.id === expected, id, { timeout: 5000 }).catch(() => undefined);
  return page.evaluate(() => document.activeElement?.id);
}

async function thanksTitle(t: Test, browser: Awaited<ReturnType<typeof launchBrowser>>, base: string) {
  const page = await browser.newPage();
  await page.goto(`${base}/surveys/community-trust/thanks?lang=es`);
  t.equal(await page.title(), 'Gracias – Encuesta de Confianza Comunitaria · Common Ground');
  await page.close();
}

t.test('a kiosk left idle warns, then starts again blank; it offers no way out of the survey', async (t) => {
  const { app, store, config } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await page.clock.install();
  const admin = await createStaff(app, 'kiosk-admin@example.org', 'a long enough passphrase', 'admin');
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  const { token } = await app.kioskLinks.issue({ surveyId: survey.id, neighborhoodId: riverside.id, eventId: null }, dateIn(config.TIME_ZONE), admin.id, {});
  await page.goto(`${base}/kiosk/${encodeURIComponent(token)}`);
  await page.getByRole('button', { name: 'Send my answers' }).waitFor();
  t.same(await page.locator('header a, footer a').count(), 0, 'no link leads away in kiosk mode');

  const respect = page.getByRole('group', { name: /with respect/ }).getByRole('radio', { name: '8 out of 10' });
  // A click without scrolling: a scroll event the browser dispatches later, while the fake clock runs, would count as
  // activity at that moment and move the warning.
  await respect.dispatchEvent('click');
  t.ok(await respect.isChecked());
  const warning = page.getByRole('alertdialog', { name: 'Are you still there?' });
  await page.clock.runFor(60_000);
  t.notOk(await warning.isVisible(), 'no warning while the resident is still answering');
  await page.clock.runFor(31_000);
  t.ok(await warning.isVisible(), 'a warning after 90 s idle');
  t.equal(await page.evaluate(() => document.activeElement?.id), 'kiosk-keep-going', 'focus on "Keep going"');
  await checkAxe(t, page, 'kiosk warning');
  await page.getByRole('button', { name: 'Keep going' }).click();
  t.notOk(await warning.isVisible(), '"Keep going" closes it');
  await page.clock.runFor(60_000);
  t.ok(await respect.isChecked(), 'the answers are still there');

  await page.clock.runFor(31_000);
  t.ok(await warning.isVisible(), 'warned again after another 90 s idle');
  await page.clock.runFor(31_000);
  await page.waitForURL(/channel=kiosk/);
  await page.getByRole('button', { name: 'Send my answers' }).waitFor();
  t.notOk(
    await page
      .getByRole('group', { name: /with respect/ })
      .getByRole('radio', { name: '8 out of 10' })
      .isChecked(),
    'a blank form for the next person',
  );
  t.equal(await page.locator('input[name="neighborhood"]').inputValue(), 'riverside', 'still the kiosk of its neighborhood');
  t.equal(await page.locator('input[name="channel"]').inputValue(), 'kiosk');
});
