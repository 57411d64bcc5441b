import t from 'tap';
import { buildTestApp } from '../helper/app.js';

t.test('language: ?lang= wins, sets a cookie that later pages follow, then Accept-Language', async (t) => {
  const { app } = await buildTestApp(t);
  const chosen = await app.inject({ url: '/?lang=es', headers: { 'accept-language': 'en' } });
  t.match(chosen.body, '<html lang="es">');
  const cookie = chosen.cookies.find((c) => c.name === 'lang');
  t.equal(cookie?.value, 'es');
  t.equal(cookie?.httpOnly, true);
  const later = await app.inject({ url: '/', headers: { cookie: 'lang=es', 'accept-language': 'en' } });
  t.match(later.body, '<html lang="es">', 'the cookie beats Accept-Language');
  t.equal(later.cookies.length, 0, 'no new cookie when nothing changed');
  const browser = await app.inject({ url: '/', headers: { 'accept-language': 'es-MX,es;q=0.9,en;q=0.5' } });
  t.match(browser.body, '<html lang="es">');
  const unknown = await app.inject({ url: '/?lang=xx' });
  t.match(unknown.body, '<html lang="en">');
  t.notOk(
    unknown.cookies.some((c) => c.name === 'lang'),
    'an unknown language is not remembered',
  );
});

t.test('the language switch keeps the page and its other parameters', async (t) => {
  const { app } = await buildTestApp(t);
  // (On the survey form itself the switch is a button that re-sends the answers: test/survey/routes.test.ts.)
  const res = await app.inject('/public?neighborhood=x&channel=qr');
  t.match(res.body, 'href="/public?neighborhood&#x3D;x&amp;channel&#x3D;qr&amp;lang&#x3D;es" lang="es" hreflang="es"');
});
