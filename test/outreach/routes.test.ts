import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { events } from '../../src/db/schema.js';
import { kioskToken } from '../../src/outreach/links.js';
import { addNeighborhoods, buildTestApp, createStaff, form, login, rowCount } from '../helper/app.js';

// jsqr is CommonJS whose default export is itself under `default`.
const jsQR = jsqr.default;
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const answers = { neighborhood: 'riverside', q_respect: '7', q_listening: '6' };

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const built = await buildTestApp(t, { PUBLIC_URL: 'https://trust.example.org', ...env });
  addNeighborhoods(built.database, 'Riverside');
  const event = built.database.db
    .insert(events)
    .values({ title: { en: 'Block party on 5th' }, occurredOn: '2026-06-01', kind: 'outreach' })
    .returning()
    .get();
  await createStaff(built.app, 'liaison@example.org', 'correct horse battery', 'liaison');
  return { ...built, event };
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
  t.match(page.body, 'http://trust.example.org/kiosk/');

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
  const { app, database, event } = await setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: formHeaders,
    payload: form({ ...answers, channel: 'qr', event: String(event.id) }),
  });
  t.equal(res.statusCode, 303);
  t.equal(rowCount(database, `responses WHERE event_id = ${event.id} AND channel = 'qr'`), 1);
  await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...answers, channel: 'qr', event: '999' }) });
  t.equal(rowCount(database, 'responses WHERE event_id IS NULL'), 1, 'an unknown event is not recorded');
});

t.test('kiosk links: valid only on their day; the device answers as a kiosk without the per-client limit', async (t) => {
  const { app, database, config, event } = await setup(t, { SUBMIT_RATE_LIMIT: '2', PUBLIC_URL: 'http://trust.example.org' });
  const today = dateIn(config.TIME_ZONE);
  const target = { survey: 'community-trust', neighborhood: 'riverside', event: event.id };

  const stale = await app.inject(`/kiosk/${encodeURIComponent(kioskToken(app, target, '2020-01-01'))}`);
  t.equal(stale.statusCode, 404, 'a link for another day does not work');
  const forged = await app.inject(`/kiosk/${encodeURIComponent(kioskToken(app, target, today).replace(/.$/, 'x'))}`);
  t.equal(forged.statusCode, 404, 'a tampered link does not work');

  const open = await app.inject(`/kiosk/${encodeURIComponent(kioskToken(app, target, today))}`);
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
  t.equal(rowCount(database, `responses WHERE channel = 'kiosk' AND event_id = ${event.id}`), 4);

  const others = [];
  for (let i = 0; i < 3; i++) {
    others.push(
      (await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form({ ...answers, channel: 'kiosk' }) })).statusCode,
    );
  }
  t.same(others, [303, 303, 429], 'another device keeps its limit');
  t.equal(rowCount(database, "responses WHERE channel = 'web'"), 2, 'and cannot claim to be a kiosk');

  const thanks = await app.inject({ url: `/surveys/community-trust/thanks?channel=kiosk&neighborhood=riverside&event=${event.id}`, headers: device });
  t.match(thanks.body, /<meta http-equiv="refresh" content="8;url=\/surveys\/community-trust\?[^"]*channel&#x3D;kiosk/);
  const form2 = await app.inject({ url: '/surveys/community-trust?neighborhood=riverside', headers: device });
  t.match(form2.body, '<input type="hidden" name="channel" value="kiosk">');
});

t.test('the event page counts the responses the event brought in', async (t) => {
  const { app, database, event } = await setup(t, { PUBLIC_URL: 'http://trust.example.org' });
  for (const channel of ['qr', 'qr', 'web']) {
    await app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: formHeaders,
      payload: form({ ...answers, channel, event: String(event.id) }),
    });
  }
  await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(answers) });
  database.sqlite.prepare("UPDATE responses SET voided = 1 WHERE channel = 'web' AND event_id IS NOT NULL").run();
  const { jar } = await login(app, 'liaison@example.org', 'correct horse battery');
  const page = await app.inject({ url: `/events/${event.id}`, headers: { cookie: jar.header() } });
  t.equal(page.statusCode, 200);
  t.match(page.body, "Responses brought in by this event's QR codes and kiosks: <strong>2</strong> (qr 2)");
});
