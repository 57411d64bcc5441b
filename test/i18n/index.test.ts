import t from 'tap';
import { en } from '../../src/i18n/en.js';
import { es } from '../../src/i18n/es.js';
import { formatDate, localize, negotiateLanguage, parseAcceptLanguage, translate } from '../../src/i18n/index.js';

t.test('Spanish has every English message', async (t) => {
  t.same(Object.keys(es).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(es)) t.ok(text.length > 0, key);
});

t.test('language: ?lang=, then cookie, then Accept-Language, among those offered', async (t) => {
  const offered = ['en', 'es'];
  t.equal(negotiateLanguage(offered, { query: 'es', cookie: 'en', acceptLanguage: 'en' }), 'es');
  t.equal(negotiateLanguage(offered, { cookie: 'es', acceptLanguage: 'en' }), 'es');
  t.equal(negotiateLanguage(offered, { acceptLanguage: 'fr-CA, es-MX;q=0.8, en;q=0.5' }), 'es');
  t.equal(negotiateLanguage(offered, { query: 'fr' }), 'en', 'unknown falls through to the default');
  t.equal(negotiateLanguage(['es'], {}), 'es', 'a Spanish-only survey');
  t.same(parseAcceptLanguage('en;q=0.1, es;q=0.9, *;q=0.5, de;q=0'), ['es', 'en']);
  t.same(parseAcceptLanguage(undefined), []);
});

t.test('messages, stored texts and dates', async (t) => {
  t.equal(translate('es', 'form.scaleHint', { min: '0', max: '10' }), 'De 0 a 10');
  t.equal(translate('xx', 'form.submit'), 'Send my answers');
  t.equal(translate('en', 'form.scaleHint', {}), 'From {min} to {max}', 'missing parameters stay visible');
  t.equal(localize({ en: 'Hello', es: 'Hola' }, 'es'), 'Hola');
  t.equal(localize({ en: 'Hello' }, 'es'), 'Hello');
  t.equal(localize({ es: 'Hola' }, 'fr'), 'Hola');
  t.equal(localize(null, 'en'), '');
  t.equal(formatDate('2026-03-05', 'en'), 'March 5, 2026');
  t.equal(formatDate('2026-03-05', 'es'), '5 de marzo de 2026');
});
