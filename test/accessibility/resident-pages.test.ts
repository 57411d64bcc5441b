import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import { codeHash } from '../../src/mailings/codes.js';
import { createMailingRepository } from '../../src/mailings/queries.js';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { launchBrowser } from '../helper/browser.js';

t.test('axe finds no serious or critical violations on resident and login pages', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { survey } = (await app.surveys.findWithQuestions('community-trust'))!;
  const today = dateIn(app.config.TIME_ZONE);
  const code = '7KQ4MZX2PD';
  await createMailingRepository(store).create(
    null,
    { surveyId: survey.id, neighborhoodId: riverside.id, name: 'Test', invitations: 1, mailedOn: today, closesOn: addDays(today, 30) },
    [codeHash(code)],
  );
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser(t);
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();

  const check = async (name: string) => {
    const violations = await axeViolations(page);
    for (const v of violations) t.comment(`${name}: ${v.impact} ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    t.same(
      serious(violations).map((v) => v.id),
      [],
      `${name}: no serious or critical violations`,
    );
  };

  await page.goto(`${base}/`);
  await check('home');
  await page.goto(`${base}/surveys/community-trust`);
  await check('empty survey form');
  await page.getByRole('button', { name: 'Send my answers' }).click();
  await page.locator('.error-summary').waitFor();
  await check('survey form with errors');
  await page.goto(`${base}/surveys/community-trust?lang=es`);
  await check('Spanish survey form');
  await page.getByRole('combobox', { name: /Su vecindario/ }).selectOption('riverside');
  await page.getByRole('button', { name: 'Enviar mis respuestas' }).click();
  await page.getByRole('heading', { name: 'Gracias' }).waitFor();
  await check('thank-you page');
  await page.goto(`${base}/invitation?lang=en`);
  await check('invitation code page');
  await page.getByRole('textbox', { name: 'Invitation code' }).fill('not a code');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.error-summary').waitFor();
  await check('invitation code page with errors');
  await page.goto(`${base}/i/${code}`);
  await check('survey form of an invitation');
  await page.goto(`${base}/login`);
  await check('login page');
  await page.getByRole('button', { name: 'Log in' }).click();
  await check('login page with errors');
});
