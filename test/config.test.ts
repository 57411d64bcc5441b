import t from 'tap';
import { loadConfig } from '../src/config.js';

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.equal(c.PORT, 3000);
  t.equal(c.HOST, '127.0.0.1');
  t.equal(c.DATABASE_PATH, './data/commonground.db');
  t.equal(c.TIME_ZONE, 'UTC');
  t.equal(c.PUBLIC_URL, 'http://127.0.0.1:3000');
  t.equal(c.TRUST_PROXY, false);
  t.equal(c.SUBMIT_RATE_LIMIT, 20);
  t.equal(c.MIN_CELL_SIZE, 30);
  t.equal(c.LOW_RELIABILITY_SIZE, 60);
  t.equal(c.PASSWORD_HASH_COST, 17);
  t.equal(c.SESSION_SECRET, undefined);
  t.equal(c.REQUEST_TIMEOUT, 60);
  t.equal(c.SHUTDOWN_TIMEOUT, 10);
});

t.test('values from the environment', async (t) => {
  const c = loadConfig({
    PORT: '8080',
    TIME_ZONE: 'America/Chicago',
    TRUST_PROXY: 'true',
    PUBLIC_URL: 'https://trust.example.org',
    MIN_CELL_SIZE: '10',
    LOW_RELIABILITY_SIZE: '20',
    PORT_UNUSED: 'x',
  });
  t.equal(c.PORT, 8080);
  t.equal(c.TIME_ZONE, 'America/Chicago');
  t.equal(c.TRUST_PROXY, true);
  t.equal(c.PUBLIC_URL, 'https://trust.example.org');
  t.equal(c.MIN_CELL_SIZE, 10);
});

t.test('bad values fail with a message naming each variable', async (t) => {
  const bad = { PORT: 'eighty', TIME_ZONE: 'Mars/Olympus', PUBLIC_URL: 'ftp://x', SESSION_SECRET: 'short', TRUST_PROXY: 'maybe', LOG_LEVEL: 'loud' };
  t.throws(() => loadConfig(bad), { name: 'ConfigError' });
  try {
    loadConfig(bad);
  } catch (err) {
    const message = (err as Error).message;
    for (const name of Object.keys(bad)) t.match(message, `${name}:`, name);
    t.match(message, 'IANA time zone');
    t.match(message, '"Mars/Olympus"');
  }
  t.throws(() => loadConfig({ MIN_CELL_SIZE: '50', LOW_RELIABILITY_SIZE: '40' }), /LOW_RELIABILITY_SIZE: must be at least MIN_CELL_SIZE/);
  t.throws(() => loadConfig({ MIN_CELL_SIZE: '0' }), /MIN_CELL_SIZE/);
});
