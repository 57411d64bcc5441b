import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { and, eq, isNotNull } from 'drizzle-orm';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { addDays, dateIn } from '../../src/dates.js';
import { addNeighborhoods, buildTestApp, createStaff, csrfFrom, form, login, rowCount } from '../helper/app.js';

// jsqr is CommonJS whose default export is itself under `default`.
const jsQR = jsqr.default;
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const answers = { neighborhood: 'riverside', q_respect: '7', q_listening: '6' };

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const built = await buildTestApp(t, { PUBLIC_URL: 'https://trust.example.org', ...env });
  await addNeighborhoods(built.store, 'Riverside');
  const { events } = built.store.tables;
  const [event] = await built.store.transaction((tx) =>
    tx
      .insert(events)
      .values({ title: { en: 'Block party on 5th' }, occurredOn: '2026-06-01', kind: 'outreach' })
      .returning(),
  );
  await createStaff(built.app, 'liaison@example.org', 'correct horse battery', 'liaison');
  return { ...built, event };
}

/** Issues kiosk links through the outreach page's form, as the given staff member; returns each link's path. */
async function kioskIssuer(app: FastifyInstance, email: string, password: string) {
  const { jar } = await login(app, email, password);
  const headers = { cookie: jar.header() };
  return {
    headers,
    async issue(fields: { survey: string; neighborhood: string; event?: number; kioskDay?: string }) {
      const query = form(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])));
      const page = await app.inject({ url: `/outreach?${query}`, headers });
      const res = await app.inject({
        method: 'POST',
        url: '/outreach/kiosk-links',
        headers: { ...headers, ...formHeaders },
        payload: `${query}&_csrf=${encodeURIComponent(csrfFrom(page.body) ?? '')}`,
      });
      const link = /href="https?:\/\/[^/"]+(\/kiosk\/[^"]+)"/.exec(res.body)?.[1];
      if (res.statusCode !== 200 || !link) throw new Error(`no kiosk link issued (${res.statusCode})`);
      return link;
    },
  };
}

t.test('outreach pages are for staff only', async (t) => {
  const { app } = await setup(t);
  const anonymous = await app.inject('/outreach');
  t.equal(anonymous.statusCode, 303, 'staff only');
  t.equal((await app.inject('/outreach/qr.png?survey=community-trust&neighborhood=riverside')).statusCode, 303);
});

t.test('QR code, poster and short link for a logged-in liaison', async (t) => {
  const { app, event } = await setup(t, { PUBLIC_URL: 'http://trust.example.org' });
  const { jar } = await login(app, 'liaison@example.org', 'correct horse battery');
  const headers = { cookie: jar.header() };
  const expected = `http://trust.example.org/surveys/community-trust?neighborhood=riverside&channel=qr&event=${event.id}`;

  const page = await app.inject({ url: `/outreach?survey=community-trust&neighborhood=riverside&event=${event.id}`, headers });
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Links for Riverside at “Block party on 5th”');
  t.match(page.body, `http://trust.example.org/s/community-trust/riverside/${event.id}`);
  t.notMatch(page.body, 'http://trust.example.org/kiosk/', 'a kiosk link is made only on request');
  t.match(page.body, 'Make a kiosk link for');

  const png = await app.inject({ url: `/outreach/qr.png?survey=community-trust&neighborhood=riverside&event=${event.id}`, headers });
  t.equal(png.headers['content-type'], 'image/png');
  const image = PNG.sync.read(png.rawPayload);
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  t.equal(decoded?.data, expected, 'the PNG decodes to the exact link');

  const svg = await app.inject({ url: `/outreach/qr.svg?survey=community-trust&neighborhood=riverside&event=${event.id}`, headers });
  t.equal(svg.headers['content-type'], 'image/svg+xml');
  t.match(svg.body, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);

  const poster = await app.inject({ url: `/outreach/poster?survey=community-trust&neighborhood=riverside&event=${event.id}`, headers });
  t.equal(poster.statusCode, 200);
  t.match(poster.body, 'Community Trust Survey');
  t.match(poster.body, 'Encuesta de Confianza Comunitaria');
  t.match(poster.body, 'How do you feel about safety and the police here?');
  t.match(poster.body, '¿Cómo se siente sobre la seguridad y la policía aquí?');
  t.match(poster.body, `http://trust.example.org/s/community-trust/riverside/${event.id}`);

  const short = await app.inject(`/s/community-trust/riverside/${event.id}`);
  t.equal(short.statusCode, 302);
  t.equal(short.headers.location, expected.replace('http://trust.example.org', ''));
  t.equal((await app.inject('/s/community-trust/atlantis')).statusCode, 404);
  t.equal((await app.inject({ url: '/outreach/qr.svg?survey=community-trust&neighborhood=atlantis', headers })).statusCode, 404);
  const bad = await app.inject({ url: '/outreach?survey=community-trust&neighborhood=atlantis', headers });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'That neighborhood does not exist or is retired.');
});

t.test('a response from a QR link remembers its event', async (t) => {
  const { app, store, event } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ ...answers, channel: 'qr', event: String(event.id) }),
  });
  t.equal(res.statusCode, 303);
  t.equal(await rowCount(store, `responses WHERE event_id = ${event.id} AND channel = 'qr'`), 1);
  await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...answers, channel: 'qr', event: '999' }) });
  t.equal(await rowCount(store, 'responses WHERE event_id IS NULL'), 1, 'an unknown event is not recorded');
});

t.test('kiosk links: valid only on their day; the device answers as a kiosk without the per-client limit', async (t) => {
  const { app, store, config, event } = await setup(t, { SUBMIT_RATE_LIMIT: '2', PUBLIC_URL: 'http://trust.example.org' });
  const today = dateIn(config.TIME_ZONE);
  const target = { survey: 'community-trust', neighborhood: 'riverside', event: event.id };

  const { issue, headers } = await kioskIssuer(app, 'liaison@example.org', 'correct horse battery');
  const tomorrow = await issue({ ...target, kioskDay: addDays(today, 1) });
  t.match((await app.inject({ url: '/outreach', headers })).body, '<td>Riverside</td><td>Block party on 5th</td>', 'the list names the event');
  t.equal((await app.inject(tomorrow)).statusCode, 404, 'a link for another day does not work');
  const link = await issue(target);
  const forged = await app.inject(link.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')));
  t.equal(forged.statusCode, 404, 'a tampered link does not work');

  const open = await app.inject(link);
  t.equal(open.statusCode, 303);
  t.equal(open.headers.location, `/surveys/community-trust?neighborhood=riverside&channel=kiosk&event=${event.id}`);
  const kioskCookie = open.cookies.find((c) => c.name === 'cg_kiosk')!;
  const device = { cookie: `cg_kiosk=${kioskCookie.value}` };

  const statuses = [];
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: { ...formHeaders, ...device },
      payload: form({ ...answers, channel: 'kiosk', event: String(event.id) }),
    });
    statuses.push(res.statusCode);
    t.notOk(
      res.cookies.some((c) => c.name.startsWith('cg_answered_')),
      'no "already answered" cookie on a kiosk',
    );
  }
  t.same(statuses, [303, 303, 303, 303], 'the kiosk is not limited');
  t.equal(await rowCount(store, `responses WHERE channel = 'kiosk' AND event_id = ${event.id}`), 4);

  const others = [];
  for (let i = 0; i < 3; i++) {
    others.push(
      (await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...answers, channel: 'kiosk' }) })).statusCode,
    );
  }
  t.same(others, [303, 303, 429], 'another device keeps its limit');
  t.equal(await rowCount(store, "responses WHERE channel = 'web'"), 2, 'and cannot claim to be a kiosk');

  const thanks = await app.inject({ url: `/surveys/community-trust/thanks?channel=kiosk&neighborhood=riverside&event=${event.id}`, headers: device });
  t.match(thanks.body, /<meta http-equiv="refresh" content="8;url=\/surveys\/community-trust\?[^"]*channel&#x3D;kiosk/);
  const form2 = await app.inject({ url: '/surveys/community-trust?neighborhood=riverside', headers: device });
  t.match(form2.body, '<input type="hidden" name="channel" value="kiosk">');
});

t.test('the event page counts the responses the event brought in', async (t) => {
  const { app, store, event } = await setup(t, { PUBLIC_URL: 'http://trust.example.org' });
  const { responses } = store.tables;
  for (const channel of ['qr', 'qr', 'web']) {
    await app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: formHeaders,
      payload: form({ ...answers, channel, event: String(event.id) }),
    });
  }
  await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(answers) });
  await store.transaction((tx) =>
    tx
      .update(responses)
      .set({ voided: true })
      .where(and(eq(responses.channel, 'web'), isNotNull(responses.eventId))),
  );
  const { jar } = await login(app, 'liaison@example.org', 'correct horse battery');
  const page = await app.inject({ url: `/events/${event.id}`, headers: { cookie: jar.header() } });
  t.equal(page.statusCode, 200);
  t.match(page.body, "Responses brought in by this event's QR codes and kiosks: <strong>2</strong> (qr 2)");
});

t.test('kiosk links are recorded (only a hash), listed, and an admin can revoke one: the link and its devices stop working', async (t) => {
  const { app, store, config } = await setup(t, { SUBMIT_RATE_LIMIT: '1', PUBLIC_URL: 'http://trust.example.org' });
  const { auditLog, kioskLinks } = store.tables;
  await createStaff(app, 'admin@example.org', 'admin password 12', 'admin');
  const { issue } = await kioskIssuer(app, 'liaison@example.org', 'correct horse battery');
  const link = await issue({ survey: 'community-trust', neighborhood: 'riverside' });
  const token = link.split('/').pop()!;
  const stored = await store.read((db) => db.select().from(kioskLinks));
  t.equal(stored.length, 1, 'the issued link is recorded');
  t.equal(stored[0].validOn, dateIn(config.TIME_ZONE));
  t.notMatch(JSON.stringify(stored), token, 'but not its token');
  t.match(
    JSON.stringify(await store.read((db) => db.select().from(auditLog).where(eq(auditLog.action, 'kiosk-link.issue')))),
    'riverside',
    'issuing is audited',
  );

  const open = await app.inject(link);
  t.equal(open.statusCode, 303);
  const device = { cookie: `cg_kiosk=${open.cookies.find((c) => c.name === 'cg_kiosk')!.value}` };
  const post = () => app.inject({ method: 'POST', url: '/surveys/community-trust', headers: { ...formHeaders, ...device }, payload: form(answers) });
  t.same([(await post()).statusCode, (await post()).statusCode], [303, 303], 'a kiosk device is not limited');

  const liaisonPage = await app.inject({ url: '/outreach', headers: (await kioskIssuer(app, 'liaison@example.org', 'correct horse battery')).headers });
  t.match(liaisonPage.body, 'Kiosk links issued for today and later');
  t.notMatch(liaisonPage.body, '/revoke', 'liaisons see the list without revoke buttons');
  const adminJar = (await login(app, 'admin@example.org', 'admin password 12')).jar;
  const adminPage = await app.inject({ url: '/outreach', headers: { cookie: adminJar.header() } });
  const revokeUrl = /action="(\/admin\/kiosk-links\/[0-9a-f]{64}\/revoke)"/.exec(adminPage.body)?.[1];
  t.ok(revokeUrl, 'admins get a revoke button');
  const revoked = await app.inject({
    method: 'POST',
    url: revokeUrl!,
    headers: { cookie: adminJar.header(), ...formHeaders },
    payload: form({ _csrf: csrfFrom(adminPage.body) ?? '' }),
  });
  t.equal(revoked.statusCode, 303);
  t.equal((await app.inject(link)).statusCode, 404, 'a revoked link no longer makes a kiosk');
  const after = await post();
  t.equal(after.statusCode, 303);
  t.equal((await post()).statusCode, 429, "the device's cookie stopped working: it is limited like any other");
  t.equal(await rowCount(store, "responses WHERE channel = 'kiosk'"), 2);
  t.equal(await rowCount(store, "audit_log WHERE action = 'kiosk-link.revoke'"), 1);
  t.match((await app.inject({ url: '/outreach', headers: { cookie: adminJar.header() } })).body, 'Revoked');
});

t.test('an "already answered" cookie copied into the kiosk cookie makes no kiosk (each purpose has its own key)', async (t) => {
  const { app, store, config } = await setup(t, { SUBMIT_RATE_LIMIT: '2' });
  const first = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(answers) });
  const answered = first.cookies.find((c) => c.name.startsWith('cg_answered_'))!;
  t.match(answered.value, dateIn(config.TIME_ZONE));
  const copied = { cookie: `cg_kiosk=${answered.value}` };
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    statuses.push(
      (
        await app.inject({
          method: 'POST',
          url: '/surveys/community-trust',
          headers: { ...formHeaders, ...copied },
          payload: form({ ...answers, channel: 'kiosk' }),
        })
      ).statusCode,
    );
  }
  t.same(statuses, [303, 429], 'still rate limited');
  t.equal(await rowCount(store, "responses WHERE channel = 'kiosk'"), 0, 'and not recorded as kiosk answers');
});
