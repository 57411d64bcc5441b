import { join } from 'node:path';
import type { Session } from 'fastify';
import t from 'tap';
import { SESSION_TOUCH_INTERVAL_MS, SqliteSessionStore } from '../../src/auth/session-store.js';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { tempDir } from '../helper/app.js';

t.test('an unchanged session is rewritten only when its expiry moves by the touch interval or more', (t) => {
  const database = openDatabase(join(tempDir(t), 'sessions.db'));
  t.teardown(() => database.close());
  const store = new SqliteSessionStore(database.sqlite, 60_000);
  const start = Date.now() + 3_600_000;
  const session = (expires: number, extra: Record<string, unknown> = {}) => ({ cookie: { expires: new Date(expires) }, ...extra }) as unknown as Session;
  const stored = () =>
    database.sqlite.prepare('SELECT data, expires_at AS expiresAt FROM sessions WHERE id = ?').get('s1') as { data: string; expiresAt: number };
  const set = (s: Session) => store.set('s1', s, (err) => t.error(err));

  set(session(start, { _csrf: 'a' }));
  t.equal(stored().expiresAt, start, 'a new session is written');

  set(session(start + 1_000, { _csrf: 'a' }));
  t.equal(stored().expiresAt, start, 'a touch within the interval is not written');

  set(session(start + 1_000, { _csrf: 'b' }));
  t.equal(stored().expiresAt, start + 1_000, 'changed data is written at once');
  t.match(JSON.parse(stored().data), { _csrf: 'b' });

  set(session(start + 1_000 + SESSION_TOUCH_INTERVAL_MS, { _csrf: 'b' }));
  t.equal(stored().expiresAt, start + 1_000 + SESSION_TOUCH_INTERVAL_MS, 'a touch a whole interval later is written');

  set(session(start, { _csrf: 'b' }));
  t.equal(stored().expiresAt, start, 'an earlier expiry is written');
  t.end();
});
