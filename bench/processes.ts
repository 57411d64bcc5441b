import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../src/paths.js';

export interface Command {
  command: string;
  args: string[];
}

/**
 * How to start one of the project's modules ("src/server", "bench/load", ...) as its own Node process: always the
 * compiled build (`npm run bench` and `npm test` compile first), which starts in a fraction of a TypeScript loader's time.
 */
export function moduleCommand(module: string): Command {
  const entry = join(projectRoot, 'dist', `${module}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run build, or npm test).`);
  return { command: process.execPath, args: [entry] };
}

/** Whether server and load generator can be pinned to separate cores. */
export const canPin = cpus().length >= 2 && existsSync('/usr/bin/taskset');

/** The command re-spawned under `taskset -c core` (taskset execs it, so the pid is the process's own). */
export function pinned(command: Command, core: number): Command {
  return canPin ? { command: '/usr/bin/taskset', args: ['-c', String(core), command.command, ...command.args] } : command;
}

/** How long the server's event loop was held up while it served, in ms, as it logs at shutdown. */
export type EventLoopDelay = { p50: number; p99: number; max: number };

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to /healthz answering 200. */
  startMs: number;
  /** The event-loop delay the server logged at shutdown (after `stop`), when it logs at info. */
  eventLoopDelayMs(): EventLoopDelay | undefined;
  /** Whether the process is still running, and the last of its stderr: what to say when a request to it fails. */
  state(): string;
  stop(): Promise<void>;
}

/**
 * Starts a server on port 0 (the kernel picks a free one, so no other process can take it first) and waits until it
 * says where it listens ("Server listening at http://127.0.0.1:<port>" on stdout: Fastify's log at info, the baselines'
 * own line) and /healthz there answers 200. The app checks its file first (SQLite's quick_check reads all of it: 1M
 * responses, ~0.9 GB, took 5–13 s on a busy 2-core machine, 3M three times that), hence the two minutes.
 */
export async function startServer(command: Command, env: Record<string, string>, timeoutMs = 120_000): Promise<RunningServer> {
  const started = performance.now();
  const child = spawn(command.command, command.args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // The log's last lines: the shutdown says how long the event loop was held up.
  let stdout = '';
  let url: string | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout = `${stdout}${line}\n`.slice(-16000);
    url ??= /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
  });
  // 'close', not 'exit': the log's last lines have arrived too.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`server exited before answering: ${stderr}`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(
        url ? `server did not answer /healthz within ${timeoutMs} ms: ${stderr}` : `server did not say where it listens within ${timeoutMs} ms: ${stderr}`,
      );
    }
    if (url === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    const status = await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const startMs = performance.now() - started;
  return {
    child,
    url,
    startMs,
    state: () => `server ${gone ? 'exited' : 'still running'}${stderr ? `; its stderr: ${stderr.slice(-1500)}` : ''}`,
    eventLoopDelayMs() {
      const line = stdout.split('\n').find((l) => l.includes('"eventLoopDelayMs"'));
      return line ? (JSON.parse(line) as { eventLoopDelayMs: EventLoopDelay }).eventLoopDelayMs : undefined;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in MB (from /proc/<pid>/status), or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the peak. */
export function sampleRss(pid: number, intervalMs = 50) {
  let peak = rssMb(pid) ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), intervalMs);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid) ?? 0);
    },
  };
}

/** Runs a module as a child process (optionally pinned) and parses the JSON it prints. */
export function runJsonChild<T>(command: Command): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${command.args.join(' ')} exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch (error) {
        reject(new Error(`${command.args.join(' ')} did not end with a line of JSON: ${out}`, { cause: error }));
      }
    });
  });
}

export const hasSqliteShell = () => existsSync('/usr/bin/sqlite3') && spawnSync('/usr/bin/sqlite3', ['-version']).status === 0;
