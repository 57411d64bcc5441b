import t from 'tap';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';
import { axeViolations, serious } from '../helper/axe.js';
import { launchBrowser } from '../helper/browser.js';

t.test('axe finds no serious or critical violations on resident and login pages', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
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
  await page.goto(`${base}/login`);
  await check('login page');
  await page.getByRole('button', { name: 'Log in' }).click();
  await check('login page with errors');
});
