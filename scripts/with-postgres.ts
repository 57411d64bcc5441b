import { spawn } from 'node:child_process';
import { startCluster } from './lib/postgres-cluster.js';

// Runs a command (the test suites) with TEST_DATABASE_URL set: the one given, else one throwaway cluster for the whole
// run, so that test files share a server instead of each starting its own. The cluster is removed when it ends.
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: with-postgres <command> [arguments…]');
  process.exit(2);
}
const cluster = process.env.TEST_DATABASE_URL ? undefined : await startCluster();
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: cluster?.url ?? process.env.TEST_DATABASE_URL } });
const code = await new Promise<number>((resolve) => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
cluster?.stop();
process.exit(code);
