import { eq } from 'drizzle-orm';
import type { Session } from 'fastify';
import t from 'tap';
import { promisify } from 'node:util';
import { DatabaseSessionStore, SESSION_TOUCH_INTERVAL_MS } from '../../src/auth/session-store.js';
import { first } from '../../src/db/store.js';
import { openTestStore } from '../helper/app.js';

t.test('an unchanged session is rewritten only when its expiry moves by the touch interval or more', async (t) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  const { sessions } = store.tables;
  const sessionStore = new DatabaseSessionStore(store, 60_000);
  const start = Date.now() + 3_600_000;
  const session = (expires: number, extra: Record<string, unknown> = {}) => ({ cookie: { expires: new Date(expires) }, ...extra }) as unknown as Session;
  const stored = async () => (await store.read((db) => first(db.select().from(sessions).where(eq(sessions.id, 's1')))))!;
  const set = promisify(sessionStore.set.bind(sessionStore));

  await set('s1', session(start, { _csrf: 'a' }));
  t.equal((await stored()).expiresAt, start, 'a new session is written');

  await set('s1', session(start + 1_000, { _csrf: 'a' }));
  t.equal((await stored()).expiresAt, start, 'a touch within the interval is not written');

  await set('s1', session(start + 1_000, { _csrf: 'b' }));
  t.equal((await stored()).expiresAt, start + 1_000, 'changed data is written at once');
  t.match(JSON.parse((await stored()).data), { _csrf: 'b' });

  await set('s1', session(start + 1_000 + SESSION_TOUCH_INTERVAL_MS, { _csrf: 'b' }));
  t.equal((await stored()).expiresAt, start + 1_000 + SESSION_TOUCH_INTERVAL_MS, 'a touch a whole interval later is written');

  await set('s1', session(start, { _csrf: 'b' }));
  t.equal((await stored()).expiresAt, start, 'an earlier expiry is written');
});

t.test('get, destroy and purge go through the store', async (t) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  const sessionStore = new DatabaseSessionStore(store, 60_000);
  const get = promisify(sessionStore.get.bind(sessionStore));
  const set = promisify(sessionStore.set.bind(sessionStore));
  const destroy = promisify(sessionStore.destroy.bind(sessionStore));
  const session = (expires: number) => ({ cookie: { expires: new Date(expires) }, flash: 'hello' }) as unknown as Session;

  await set('live', session(Date.now() + 60_000));
  await set('expired', session(Date.now() - 1));
  t.match(await get('live'), { flash: 'hello' });
  t.equal(await get('expired'), null, 'an expired session is not handed out');
  t.equal(await sessionStore.purgeExpired(), 1, 'and is purged');
  await destroy('live');
  t.equal(await get('live'), null, 'a destroyed session is gone');
});
