import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openStore } from './db/open.js';
import { DatabaseFileError } from './db/sqlite/client.js';

const SETUP_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/** Opens the database (applying migrations), builds the app and listens; SIGTERM/SIGINT shut down gracefully. */
export async function startServer(config: Config) {
  const store = await openStore(config);
  const app = await buildApp({ config, store });
  // A submission whose connection the shutdown deadline cut is still committed before the database closes.
  app.addHook('onClose', () => store.close());

  if ((await app.staff.count()) === 0) {
    const token = await app.staff.issueToken('setup', null, SETUP_LINK_TTL_MS);
    app.log.warn(`No staff account exists yet. Create the first admin within 24 hours at ${config.PUBLIC_URL}/setup/${token}`);
  }

  await app.listen({ port: config.PORT, host: config.HOST });
  // How long the event loop was held up while serving: said at shutdown (the bench reads it; a few ms is the aim).
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // The histogram holds each 1 ms timer's whole interval: what exceeds the 1 ms is the delay.
    const ms = (ns: number) => Math.max(0, Math.round((ns - 1e6) / 1e4) / 100);
    app.log.info(
      { eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) } },
      'event-loop delay while serving',
    );
    app.log.info(`${signal} received: finishing in-flight requests, then closing the database`);
    // A request still unfinished after the deadline loses its connection; what it had queued still commits.
    setTimeout(() => {
      app.log.warn(`requests still in flight after ${config.SHUTDOWN_TIMEOUT} s: closing their connections`);
      app.server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT * 1000).unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return app;
}

function main() {
  // Under a burst of submissions many short-lived objects outlive a few scavenges (they wait for the fsync), and V8's
  // default heap growth lets them pile up in old space well past 200 MB before a full collection; grow it by 20%.
  setFlagsFromString('--heap-growing-percent=20');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  startServer(config).catch((err) => {
    console.error(err instanceof DatabaseFileError ? `Not starting: ${err.message}` : err);
    process.exit(1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
