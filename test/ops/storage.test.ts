import { sql } from 'drizzle-orm';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { addNeighborhoods, buildTestApp, form, tempDir } from '../helper/app.js';

const answers = (marker: string) => ({
  neighborhood: 'riverside',
  lang: 'es',
  q_safety: '6',
  q_respect: '8',
  q_listening: '5',
  q_gender: 'woman',
  // A long answer fills pages quickly.
  q_top_issue: `${marker} ${'x'.repeat(900)}`,
});

const submit = (app: FastifyInstance, marker: string) =>
  app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form(answers(marker)),
  });

const storedMarkers = async ({ store }: FastifyInstance) =>
  new Set(
    (
      await store.read((db) =>
        store.rows<{ text: string }>(db, sql`SELECT value_text AS "text" FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'`),
      )
    ).map((v) => v.text.split(' ')[0]),
  );

/** Submits until one is refused; returns the markers acknowledged (303) and the refusal. */
async function submitUntilRefused(app: FastifyInstance, label: string, max = 400) {
  const acknowledged: string[] = [];
  for (let i = 0; i < max; i++) {
    const res = await submit(app, `${label}-${i}`);
    if (res.statusCode !== 303) return { acknowledged, refused: res };
    acknowledged.push(`${label}-${i}`);
  }
  throw new Error(`no submission was refused in ${max}`);
}

/** What a resident sees when the database cannot take the answer: 503, in their language, form kept, nothing stored. */
function checkNotSavedPage(t: Test, res: Awaited<ReturnType<FastifyInstance['inject']>>) {
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '60');
  t.match(res.body, '<html lang="es">');
  t.match(res.body, 'Sus respuestas no se guardaron');
  t.match(res.body, 'por favor envíelas de nuevo');
  t.match(res.body, /name="q_respect" value="8"[^>]*checked/, 'answers kept');
  t.match(res.body, /value="riverside" selected/, 'neighborhood kept');
  t.match(res.body, /<textarea[^>]*>\S+-\d+ x{900}<\/textarea>/, 'text kept');
}

t.test('a full database (max_page_count): 503 "not saved" with the form kept, /healthz 503, and recovery', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  t.equal((await app.inject('/healthz')).statusCode, 200);
  database.sqlite.pragma(`max_page_count = ${Number(database.sqlite.pragma('page_count', { simple: true }))}`);

  const { acknowledged, refused } = await submitUntilRefused(app, 'full');
  checkNotSavedPage(t, refused);
  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 503);
  t.match(health.json(), { status: 'unwritable', problem: /size limit|full/ });

  database.sqlite.pragma('max_page_count = 1073741823');
  t.equal((await app.inject('/healthz')).statusCode, 200, 'healthy again once there is room');
  t.equal((await submit(app, 'after-0')).statusCode, 303, 'submissions are stored again');
  const stored = await storedMarkers(app);
  t.same(
    [...acknowledged, 'after-0'].filter((m) => !stored.has(m)),
    [],
    'every acknowledged submission is stored',
  );
  t.equal(stored.size, acknowledged.length + 1, 'the refused one is not');
});

t.test('the database file deleted under the server: 503, never acknowledged, /healthz says so', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  t.equal((await submit(app, 'before-0')).statusCode, 303);
  unlinkSync(database.path);
  checkNotSavedPage(t, await submit(app, 'gone-0'));
  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 503);
  t.match(health.json().problem, /was deleted/);
});

// A real full disk: a small tmpfs (mounting needs root, which the test machines have).
t.test('a full disk (tmpfs): 503 "not saved", /healthz 503, and recovery once space is freed', async (t) => {
  const mountPoint = join(tempDir(t), 'small-disk');
  mkdirSync(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    return t.plan(0, 'cannot mount a tmpfs here (not root?)');
  }
  t.teardown(() => execFileSync('umount', ['-l', mountPoint]));
  const { app, store, database } = await buildTestApp(t, { DATABASE_PATH: join(mountPoint, 'test.db') });
  await addNeighborhoods(store, 'Riverside');
  t.equal((await submit(app, 'ok-0')).statusCode, 303);

  // Fill the disk.
  const filler = join(mountPoint, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
  } catch {
    closeSync(fd);
  }
  const { acknowledged, refused } = await submitUntilRefused(app, 'disk');
  checkNotSavedPage(t, refused);
  const full = await app.inject('/healthz');
  t.equal(full.statusCode, 503);
  t.match(full.json().problem, /disk holding the database is full|writes fail/);
  rmSync(filler);
  t.equal((await app.inject('/healthz')).statusCode, 200, 'healthy again once space is freed');
  t.equal((await submit(app, 'freed-0')).statusCode, 303);

  const stored = await storedMarkers(app);
  t.same(
    ['ok-0', ...acknowledged, 'freed-0'].filter((m) => !stored.has(m)),
    [],
    'every acknowledged submission is stored',
  );
  t.notOk(stored.has(acknowledged.length ? `disk-${acknowledged.length}` : 'disk-0'), 'the refused one is not');
  await app.close();
  database.close();
});
