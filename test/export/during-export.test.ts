import { parse } from 'csv-parse/sync';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, csrfFrom, form } from '../helper/app.js';

// The README says residents can keep answering while an admin downloads everything: the export is read and written as
// CSV off the event loop, so a resident's acknowledgement does not wait for it.
const RESPONSES = 8000;
const RESIDENTS = 10;

t.test('residents submitting during a large export, read as fast as it comes, are each acknowledged within a second', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { adminJar } = await staffSessions(app);
  const filler = 'x'.repeat(900);
  await seedResponses(
    app,
    Array.from({ length: RESPONSES }, (_, i) => ({ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { safety: i % 11, top_issue: filler } })),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const token = csrfFrom((await app.inject({ url: '/admin/export', headers: { cookie: adminJar.header() } })).body)!;

  let exportEnded = false;
  const download = fetch(`${base}/admin/export.csv?survey=community-trust&_csrf=${encodeURIComponent(token)}`, {
    headers: { cookie: adminJar.header() },
  }).then(async (res) => {
    const body = await res.text();
    exportEnded = true;
    return { status: res.status, body };
  });

  const times: number[] = [];
  let beforeEnd = 0;
  for (let i = 0; i < RESIDENTS; i++) {
    const started = performance.now();
    const res = await fetch(`${base}/surveys/community-trust`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ neighborhood: 'riverside', q_safety: String(i % 11) }),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    t.equal(res.status, 303, `resident ${i + 1} acknowledged`);
    times.push(performance.now() - started);
    if (!exportEnded) beforeEnd++;
  }
  const { status, body } = await download;
  t.equal(status, 200);
  // A snapshot taken at its first read: the responses seeded, and those submitted before that read, never half of one.
  const records: string[][] = parse(body);
  t.ok(records.length >= RESPONSES + 1 && records.length <= RESPONSES + 1 + RESIDENTS, `every response seeded is exported (${records.length - 1} rows)`);
  t.ok(
    records.slice(1).every((r) => r.length === records[0].length),
    'every record whole',
  );
  t.ok(beforeEnd > 0, `residents were answered while the export was still streaming (${beforeEnd} of ${RESIDENTS})`);
  t.ok(Math.max(...times) < 1000, `every acknowledgement within a second (slowest ${Math.round(Math.max(...times))} ms)`);
});
