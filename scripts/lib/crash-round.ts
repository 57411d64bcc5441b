import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sql } from 'drizzle-orm';
import { openSqliteStore } from '../../src/db/open.js';
import { integrityCheck } from '../../src/db/sqlite/client.js';
import type { Store } from '../../src/db/store.js';
import { createSurveyRepository } from '../../src/survey/queries.js';

export interface ServerCommand {
  command: string;
  args: string[];
}

export interface CrashRoundResult {
  acknowledged: number;
  stored: number;
  lostAcknowledged: string[];
  halfWritten: number;
  rollupMismatch: boolean;
  integrity: string;
  restartedHealthy: boolean;
}

// Each submission answers exactly these questions, so a complete response has this many answers and scores.
const ANSWERS_PER_RESPONSE = 4; // safety, respect, listening and the marker text
const SCORES_PER_RESPONSE = 4; // safety, respect, listening and trust

/** Starts the server on a free loopback port and resolves with its base URL once it listens. */
export function startServerProcess(server: ServerCommand, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(server.command, server.args, {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SUBMIT_RATE_LIMIT: '1000000', PASSWORD_HASH_COST: '10', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A safety net, not a measurement: a busy machine may take a while, and a server that never starts is stopped.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server did not start within 60 s'));
    }, 60_000);
    // The last lines it wrote, to say why when it stops before listening.
    let output = '';
    const keep = (line: string) => (output = `${output}${line}\n`.slice(-4000));
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    createInterface({ input: child.stderr }).on('line', keep);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early with code ${code}:\n${output}`));
    });
  });
}

export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

/** Prepares the database file: the standard survey and one neighborhood. */
export async function prepareDatabase(path: string) {
  const { store } = openSqliteStore({ DATABASE_PATH: path });
  await createSurveyRepository(store, 'UTC').ensureStandardSurvey();
  await store.transaction((tx) => tx.insert(store.tables.neighborhoods).values({ slug: 'crash-town', name: 'Crash Town' }).onConflictDoNothing());
  await store.close();
}

export function submissionBody(marker: string) {
  return new URLSearchParams({ neighborhood: 'crash-town', q_safety: '4', q_respect: '7', q_listening: '6', q_top_issue: marker }).toString();
}

/**
 * Concurrent submissions, each with a unique marker, until `stop()`; `acknowledged` lists the markers answered 303.
 * A worker ends quietly when the server goes away: what it was sending was never acknowledged. Tests wait for
 * `whenAcknowledged(n)` rather than for a fixed time, so a slow machine only makes them slower, never wrong.
 */
export function submissionLoad(url: string, concurrency: number, label: string) {
  const acknowledged: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let stopped = false;
  let sequence = 0;
  const worker = async () => {
    while (!stopped) {
      const marker = `${label}-${sequence++}`;
      try {
        const res = await fetch(`${url}/surveys/community-trust`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: submissionBody(marker),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        if (res.status === 303) {
          acknowledged.push(marker);
          for (const w of waiters.filter((w) => acknowledged.length >= w.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      } catch {
        return;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  const ended = Promise.all(workers);
  return {
    acknowledged,
    /** Resolves once `n` submissions in all are acknowledged; rejects if every worker ends first. */
    whenAcknowledged: (n: number) =>
      acknowledged.length >= n
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ n, resolve })),
            ended.then(() => {
              throw new Error(`the load ended with ${acknowledged.length} of ${n} submissions acknowledged`);
            }),
          ]),
    stop: async () => {
      stopped = true;
      await ended;
    },
  };
}

/** Markers of the stored responses (the text answer each submission carried). */
export async function storedMarkers(store: Store): Promise<Set<string>> {
  const rows = await store.read((db) =>
    store.rows<{ text: string }>(db, sql`SELECT a.value_text AS "text" FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'`),
  );
  return new Set(rows.map((r) => r.text));
}

/**
 * One round: concurrent submissions against the real server, SIGKILL once `killAfter` are acknowledged, then check on the file
 * that every acknowledged (303) submission is stored whole, nothing is half-written, and the database is intact.
 */
export async function crashRound(options: {
  server: ServerCommand;
  databasePath: string;
  /** Acknowledged submissions before the kill: a point in the load, not in wall-clock time. */
  killAfter: number;
  concurrency: number;
  label: string;
}): Promise<CrashRoundResult> {
  await prepareDatabase(options.databasePath);
  const { child, url } = await startServerProcess(options.server, { DATABASE_PATH: options.databasePath });
  const load = submissionLoad(url, options.concurrency, options.label);
  await load.whenAcknowledged(options.killAfter);
  child.kill('SIGKILL');
  await exited(child);
  await load.stop();
  const { acknowledged } = load;

  const integrity = integrityCheck(options.databasePath);
  const { store } = openSqliteStore({ DATABASE_PATH: options.databasePath });
  const stored = await storedMarkers(store);
  const [{ halfWritten, rolled, scored, total }] = await store.read((db) =>
    store.rows<{ halfWritten: number; rolled: number; scored: number; total: number }>(
      db,
      sql`SELECT
        (SELECT count(*) FROM responses r WHERE (SELECT count(*) FROM answers a WHERE a.response_id = r.id) <> ${ANSWERS_PER_RESPONSE}
           OR (SELECT count(*) FROM response_scores s WHERE s.response_id = r.id) <> ${SCORES_PER_RESPONSE}) AS "halfWritten",
        (SELECT coalesce(sum(n), 0) FROM monthly_rollups WHERE measure = 'trust') AS "rolled",
        (SELECT count(*) FROM response_scores s JOIN responses r ON r.id = s.response_id WHERE s.measure = 'trust' AND NOT r.voided) AS "scored",
        (SELECT count(*) FROM responses) AS "total"`,
    ),
  );
  await store.close();

  const restarted = await startServerProcess(options.server, { DATABASE_PATH: options.databasePath });
  const health = await fetch(`${restarted.url}/healthz`).then((r) => r.status);
  restarted.child.kill('SIGTERM');
  await exited(restarted.child);

  return {
    acknowledged: acknowledged.length,
    stored: total,
    lostAcknowledged: acknowledged.filter((m) => !stored.has(m)),
    halfWritten,
    rollupMismatch: rolled !== scored,
    integrity,
    restartedHealthy: health === 200,
  };
}
