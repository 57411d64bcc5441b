import t from 'tap';
import { addNeighborhoods, buildTestApp, form, rowCount } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const answers = { neighborhood: 'riverside', q_respect: '7', q_listening: '6' };

t.test('behind a proxy, a rotated X-Forwarded-For does not dodge the per-client limit', async (t) => {
  for (const TRUST_PROXY of ['1', '10.0.0.1']) {
    const { app, store } = await buildTestApp(t, { TRUST_PROXY, SUBMIT_RATE_LIMIT: '2' });
    await addNeighborhoods(store, 'Riverside');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      // The client writes any X-Forwarded-For it likes; the proxy (10.0.0.1) appends the address it really saw.
      const res = await app.inject({
        method: 'POST',
        url: '/surveys/community-trust',
        headers: { ...formHeaders, 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` },
        remoteAddress: '10.0.0.1',
        payload: form(answers),
      });
      statuses.push(res.statusCode);
    }
    t.same(statuses, [303, 303, 429, 429], `TRUST_PROXY=${TRUST_PROXY}`);
    t.equal(await rowCount(store, 'responses'), 2);
    const neighbor = await app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: { ...formHeaders, 'x-forwarded-for': '203.0.113.10' },
      remoteAddress: '10.0.0.1',
      payload: form(answers),
    });
    t.equal(neighbor.statusCode, 303, 'another client behind the same proxy keeps its own limit');
  }
});

t.test('a survey form posted from another site is refused with a page saying so; same-site and old browsers pass', async (t) => {
  const { app, store } = await buildTestApp(t, { PUBLIC_URL: 'https://trust.example.org', SUBMIT_RATE_LIMIT: '100' });
  await addNeighborhoods(store, 'Riverside');
  const post = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/surveys/community-trust?lang=es', headers: { ...formHeaders, ...headers }, payload: form(answers) });

  for (const headers of <Record<string, string>[]>[
    { origin: 'https://evil.example' },
    { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    { 'sec-fetch-site': 'same-site' },
    { origin: 'null' },
  ]) {
    const res = await post(headers);
    t.equal(res.statusCode, 403, JSON.stringify(headers));
    t.match(res.body, 'Este formulario se envió desde otro sitio web');
  }
  t.equal(await rowCount(store, 'responses'), 0, 'nothing stored');

  for (const headers of <Record<string, string>[]>[
    { origin: 'https://trust.example.org', 'sec-fetch-site': 'same-origin' },
    { origin: 'https://trust.example.org' },
    { origin: 'http://localhost:80' },
    {},
  ]) {
    t.equal((await post(headers)).statusCode, 303, JSON.stringify(headers));
  }
  t.equal(await rowCount(store, 'responses'), 4);
});
