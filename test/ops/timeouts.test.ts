import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { exited, prepareDatabase, startServerProcess } from '../../scripts/lib/crash-round.js';
import { compiledServer, tempDir } from '../helper/app.js';

const server = compiledServer();

/** Opens a raw connection, writes `chunks` and resolves when the server closes it (or after `waitMs`): what came back and when. */
function trickle(url: string, chunks: string[], waitMs: number) {
  const { hostname, port } = new URL(url);
  return new Promise<{ closedAfterMs: number | null; received: string }>((resolve) => {
    const started = Date.now();
    let received = '';
    const socket = connect(Number(port), hostname, () => chunks.forEach((c) => socket.write(c)));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, received });
    }, waitMs);
    socket.on('data', (d) => (received += d.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
  });
}

const halfPost = [
  'POST /surveys/community-trust HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
  'neighborhood=crash-town&q_safety=4',
];

t.test('a request trickled in or a silent connection is cut off after REQUEST_TIMEOUT', async (t) => {
  const databasePath = join(tempDir(t), 'timeouts.db');
  await prepareDatabase(databasePath);
  // The shortest timeout the config takes: the test waits for it to pass.
  const { child, url } = await startServerProcess(server, { DATABASE_PATH: databasePath, REQUEST_TIMEOUT: '1' });
  t.teardown(() => child.kill('SIGKILL'));

  const [body, headers, silent] = await Promise.all([
    trickle(url, halfPost, 8000),
    trickle(url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n'], 8000),
    trickle(url, [], 8000),
  ]);
  t.ok(body.closedAfterMs !== null && body.closedAfterMs < 5000, `a half-sent body is cut off (after ${body.closedAfterMs} ms)`);
  t.match(body.received, /^HTTP\/1\.1 408/, 'with 408 Request Timeout');
  t.ok(headers.closedAfterMs !== null && headers.closedAfterMs < 5000, `half-sent headers are cut off (after ${headers.closedAfterMs} ms)`);
  t.ok(silent.closedAfterMs !== null && silent.closedAfterMs < 5000, `a silent connection is closed (after ${silent.closedAfterMs} ms)`);
  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200, 'the server still answers others');
});

t.test('SIGTERM with a half-sent request in flight exits after SHUTDOWN_TIMEOUT', async (t) => {
  const databasePath = join(tempDir(t), 'shutdown-deadline.db');
  await prepareDatabase(databasePath);
  // The request timeout is far away: only the shutdown deadline can end the stuck request.
  const { child, url } = await startServerProcess(server, { DATABASE_PATH: databasePath, REQUEST_TIMEOUT: '600', SHUTDOWN_TIMEOUT: '1' });
  t.teardown(() => child.kill('SIGKILL'));
  const stuck = trickle(url, halfPost, 15_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  child.kill('SIGTERM');
  // Unreferenced: the deadline must not keep the process alive once the server has exited.
  const code = await Promise.race([exited(child), new Promise((resolve) => setTimeout(() => resolve('still running'), 8000).unref())]);
  const tookMs = Date.now() - started;
  t.equal(code, 0, `a clean exit (after ${tookMs} ms)`);
  t.ok(tookMs >= 900, 'in-flight requests had their grace period');
  t.ok((await stuck).closedAfterMs !== null, 'the stuck connection was closed');
});
