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
  t.equal(c.MIN_GROUP_SIZE, 10, 'the privacy floor');
  t.equal(c.MIN_RELIABLE_SIZE, 30, 'means shown from 30 responses');
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
    TRUST_PROXY: '1',
    PUBLIC_URL: 'https://trust.example.org',
    MIN_GROUP_SIZE: '5',
    MIN_RELIABLE_SIZE: '20',
    LOW_RELIABILITY_SIZE: '20',
    PORT_UNUSED: 'x',
  });
  t.equal(c.PORT, 8080);
  t.equal(c.TIME_ZONE, 'America/Chicago');
  t.equal(c.TRUST_PROXY, 1);
  t.equal(c.PUBLIC_URL, 'https://trust.example.org');
  t.equal(c.MIN_GROUP_SIZE, 5);
  t.equal(c.MIN_RELIABLE_SIZE, 20);
  t.equal(c.LOW_RELIABILITY_SIZE, 20);
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
  t.throws(() => loadConfig({ MIN_RELIABLE_SIZE: '50', LOW_RELIABILITY_SIZE: '40' }), /LOW_RELIABILITY_SIZE: must be at least MIN_RELIABLE_SIZE/);
  t.throws(() => loadConfig({ MIN_GROUP_SIZE: '20', MIN_RELIABLE_SIZE: '15' }), /MIN_RELIABLE_SIZE: must be at least MIN_GROUP_SIZE/);
  t.throws(() => loadConfig({ MIN_GROUP_SIZE: '4' }), /MIN_GROUP_SIZE: must be at least 5/, 'no floor under 5');
  t.throws(() => loadConfig({ MIN_GROUP_SIZE: '0' }), /MIN_GROUP_SIZE/);
});

t.test('a deployment still setting MIN_CELL_SIZE does not start, and is told what replaced it', async (t) => {
  t.throws(() => loadConfig({ MIN_CELL_SIZE: '30' }), { name: 'ConfigError' });
  try {
    loadConfig({ MIN_CELL_SIZE: '30' });
  } catch (err) {
    const message = (err as Error).message;
    t.match(message, 'MIN_CELL_SIZE: is no longer used');
    t.match(message, 'MIN_GROUP_SIZE');
    t.match(message, 'MIN_RELIABLE_SIZE');
  }
  t.doesNotThrow(() => loadConfig({ MIN_CELL_SIZE: '' }), 'an empty value counts as unset');
});

t.test('TRUST_PROXY takes a hop count or proxy addresses; true stops start-up naming both forms', async (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY, false);
  t.equal(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY, 2);
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).TRUST_PROXY, ['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
  for (const value of ['true', 'yes']) {
    t.throws(() => loadConfig({ TRUST_PROXY: value }), /TRUST_PROXY: .*number of proxies .*\(e\.g\. 1\).* addresses\/CIDRs \(e\.g\. 10\.0\.0\.1/, value);
  }
  for (const value of ['10.0.0.0/33', 'proxy.example', '10.0.0.1,', '1.2.3']) t.throws(() => loadConfig({ TRUST_PROXY: value }), /TRUST_PROXY/, value);
});
