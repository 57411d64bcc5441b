import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { is, Table } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Store } from '../../src/db/store.js';
import { addNeighborhoods, buildTestApp, createStaff, csrfFrom, login } from '../helper/app.js';
import { fillParams, routesOf } from '../helper/routes.js';

/** A digest of every table but sessions (which rolling staff sessions touch on any request), read through the store. */
async function digest(store: Store): Promise<string> {
  const hash = createHash('sha256');
  const tables = Object.entries(store.tables as Record<string, unknown>)
    .flatMap(([name, value]) => (is(value, Table) && name !== 'sessions' ? [[name, value as SQLiteTable] as const] : []))
    .sort(([a], [b]) => a.localeCompare(b));
  // Rows sorted by their content: answers, scores and rollups have no id (nothing records the order of writes).
  const contents = await store.read((db) => Promise.all(tables.map(([, table]) => db.select().from(table))));
  tables.forEach(([name], i) =>
    hash.update(name).update(
      contents[i]
        .map((row) => JSON.stringify(row))
        .sort()
        .join('\n'),
    ),
  );
  return hash.digest('hex');
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '11', '1e309', 'NaN', '9007199254740993', '2026-02-30', '2026-13-01', '0000-00-00', 'null', 'true', '[]', '{}'),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '\u0000',
    '\u202e',
    '=cmd|/C calc',
    '../../etc/passwd',
    '%C3%28',
    '\uD800',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constant('x'.repeat(5000)),
);
const hostileKey = fc.oneof(
  fc.constantFrom(
    'neighborhood',
    'q_respect',
    'q_top_issue',
    'survey',
    'from',
    'to',
    'bucket',
    'months',
    'rolling',
    'title',
    'occurredOn',
    'email',
    'password',
    'slug',
    'name',
    'format',
    'lang',
    'channel',
    'event',
  ),
  fc.constantFrom('__proto__', 'constructor', 'a[b][c][d]', 'x[]', '__proto__[polluted]', 'constructor[prototype][polluted]'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const fields = fc.array(fc.tuple(hostileKey, hostileString), { maxLength: 12 });
// Percent-encodes the UTF-8 bytes (encodeURIComponent throws on lone surrogates, which we also want to send).
const percent = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const encode = (pairs: [string, string][]) => pairs.map(([k, v]) => `${percent(k)}=${percent(v)}`).join('&');

const body = fc.oneof(
  fields.map((pairs) => ({ type: 'application/x-www-form-urlencoded', payload: encode(pairs) })),
  fields.map((pairs) => ({ type: 'application/json', payload: JSON.stringify(Object.fromEntries(pairs)) })),
  fc.constantFrom(
    { type: 'application/json', payload: '{"a":' },
    { type: 'application/json', payload: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}' },
    { type: 'application/json', payload: JSON.stringify(JSON.parse('['.repeat(500) + ']'.repeat(500))) },
    { type: 'application/x-www-form-urlencoded', payload: 'neighborhood=%C3%28&q_top_issue=%FF%FE' },
    { type: 'application/x-www-form-urlencoded', payload: Array.from({ length: 2000 }, () => 'q_respect=5').join('&') },
    { type: 'application/x-www-form-urlencoded', payload: `q_top_issue=${'y'.repeat(200_000)}` },
    { type: 'text/plain', payload: 'hello' },
    { type: 'multipart/form-data; boundary=x', payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--' },
  ),
);

t.test('hostile input on every route: never a 5xx, a clear 4xx, and a refused request changes nothing', async (t) => {
  const { app, store, logs } = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000', SUBMIT_RATE_LIMIT: '100000', LOG_LEVEL: 'error' });
  await addNeighborhoods(store, 'Riverside');
  await store.transaction((tx) => tx.insert(store.tables.events).values({ title: { en: 'Cookout' }, occurredOn: '2026-05-01', kind: 'outreach' }));
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const csrf = csrfFrom((await app.inject({ url: '/outreach', headers: { cookie: jar.header() } })).body)!;
  const routes = routesOf(app);
  const failures: string[] = [];
  // The database as the last request left it: only requests write, so it is the next request's "before".
  let current = await digest(store);

  await fc
    .assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.boolean(),
        fc.dictionary(fc.string({ maxLength: 10 }), hostileString, { maxKeys: 4 }),
        fields,
        body,
        async (route, asAdmin, params, query, requestBody) => {
          const path = fillParams(route.url, params);
          const url = query.length ? `${path}?${encode(query)}` : path;
          const before = current;
          const res = await app.inject({
            method: route.method as 'GET',
            url,
            headers: {
              ...(asAdmin ? { cookie: jar.header(), 'csrf-token': csrf } : {}),
              ...(route.method === 'GET' ? {} : { 'content-type': requestBody.type }),
            },
            ...(route.method === 'GET' ? {} : { payload: requestBody.payload }),
          });
          const label = `${route.method} ${url.slice(0, 300)} (${asAdmin ? 'admin' : 'anonymous'}, ${requestBody.type}: ${requestBody.payload.slice(0, 200)}) → ${res.statusCode}`;
          current = await digest(store);
          const problems: string[] = [];
          if (res.statusCode >= 500) problems.push(`${label}: ${logs.at(-1)?.slice(0, 800)}`);
          if (res.statusCode >= 400) {
            if (res.body.trim() === '') problems.push(`${label}: empty error body`);
            if (current !== before) problems.push(`${label}: a refused request changed the database`);
          }
          if (({} as Record<string, unknown>).polluted !== undefined) problems.push(`${label}: prototype polluted`);
          failures.push(...problems);
          return problems.length === 0;
        },
      ),
      { numRuns: 600, seed: 20261125 },
    )
    .catch((err) => t.fail(`${String(err).slice(0, 1500)}\n${failures.slice(0, 5).join('\n')}`));
  t.same(failures.slice(0, 10), [], 'no failures');
});

t.test('hostile CSV imports: never a 5xx, and a refused file writes nothing', async (t) => {
  const { app, store, logs } = await buildTestApp(t, { LOG_LEVEL: 'error' });
  await addNeighborhoods(store, 'Riverside');
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const csrf = csrfFrom((await app.inject({ url: '/admin/import', headers: { cookie: jar.header() } })).body)!;
  const header = ['submitted_on', 'neighborhood', 'channel', 'language', 'safety', 'respect', 'fairness', 'top_issue', 'gender'];
  const cell = fc.oneof(
    hostileString,
    fc.constantFrom('2026-03-02', '2026-02-30', 'riverside', 'paper', 'kiosk', 'web', 'es', '7', '10', '11', '3', "'=1+1", '"', '""', '\r\n', ',', 'woman'),
  );
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const file = fc.oneof(
    fc
      .array(fc.array(cell, { minLength: 1, maxLength: 11 }), { maxLength: 6 })
      .map((rows) => [header, ...rows].map((r) => r.map(quote).join(',')).join('\r\n')),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom('', '\uFEFF', 'a,b\n"unterminated', header.join(',')),
  );
  const problems: string[] = [];
  let current = await digest(store);
  await fc
    .assert(
      fc.asyncProperty(file, fc.constantFrom('community-trust', 'nope', ''), async (csv, survey) => {
        const before = current;
        const boundary = `fuzz${Math.random().toString(16).slice(2)}`;
        const payload = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="survey"\r\n\r\n${survey}\r\n`,
          ),
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="paper.csv"\r\nContent-Type: text/csv\r\n\r\n`),
          Buffer.from(csv, 'utf8'),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const res = await app.inject({
          method: 'POST',
          url: '/admin/import',
          headers: { cookie: jar.header(), 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload,
        });
        current = await digest(store);
        const found: string[] = [];
        if (res.statusCode >= 500) found.push(`${res.statusCode} for ${JSON.stringify(csv).slice(0, 200)}: ${logs.at(-1)?.slice(0, 500)}`);
        if (res.statusCode >= 400 && current !== before) found.push(`refused import changed the database: ${JSON.stringify(csv).slice(0, 200)}`);
        problems.push(...found);
        return found.length === 0;
      }),
      { numRuns: 150, seed: 424242 },
    )
    .catch((err) => t.fail(`${String(err).slice(0, 1500)}\n${problems.slice(0, 3).join('\n')}`));
  t.same(problems.slice(0, 5), []);
});
