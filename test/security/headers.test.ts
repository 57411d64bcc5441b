import t from 'tap';
import { buildTestApp } from '../helper/app.js';

t.test('every page gets a strict CSP and the other security headers', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/', '/surveys/community-trust', '/login', '/no-such-page', '/healthz']) {
    const res = await app.inject(url);
    const csp = String(res.headers['content-security-policy']);
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values.join(' ')]),
    );
    t.equal(directives['default-src'], "'self'", url);
    t.equal(directives['script-src'], "'self'", `${url}: scripts from our origin only`);
    t.equal(directives['style-src'], "'self'");
    t.equal(directives['object-src'], "'none'");
    t.equal(directives['base-uri'], "'none'");
    t.equal(directives['frame-ancestors'], "'none'");
    t.notMatch(csp, 'unsafe-inline');
    t.notMatch(csp, 'unsafe-eval');
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.equal(res.headers['referrer-policy'], 'same-origin');
  }
});

t.test('pages carry no inline script or style', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/', '/surveys/community-trust', '/login']) {
    const body = (await app.inject(url)).body;
    t.notMatch(body, /<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/, `${url}: every script is a file or a JSON data block`);
    t.notMatch(body, /\sstyle=/, `${url}: no style attributes`);
    t.notMatch(body, /\son[a-z]+=/, `${url}: no inline event handlers`);
  }
});
