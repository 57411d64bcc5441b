import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import { loadTextTransform, type TextTransformer } from '../text-transform.js';
import type { StoreTask } from '../store.js';
import type { ReadReply, ReadRequest, ReadResult } from './off-loop-reads.js';
import { createReadOnlyStore } from './read-only-store.js';
import { withStatementCache } from './statements.js';
import { lowerThisThreadsPriority } from '../../thread-priority.js';

// A resident's submission on the event loop goes first: this thread computes and reads at a lower priority.
lowerThisThreadsPriority();

// The worker behind off-loop reads: read-only connections, one per database file, each with its statements prepared
// once (as the app's connection does), and one more per stream (an export), since a connection that is iterating rows
// runs nothing else. A connection reads committed data only, and a write on the app's connection never waits for it (WAL).
const connections = new Map<string, Database.Database>();
// Per file, the store tasks see (on the file's connection) with its cache; dropped with the connection.
const stores = new Map<string, ReturnType<typeof createReadOnlyStore>>();
// Per file, a read-write connection that only checkpoints the write-ahead log (src/db/sqlite/checkpoints.ts).
const checkpointers = new Map<string, Database.Database>();
// A stream with a transformer answers each batch as its text (one string), and the text of its end with the last.
const streams = new Map<number, { sqlite: Database.Database; rows: IterableIterator<unknown>; batchSize: number; transformer?: TextTransformer }>();

function open(path: string): Database.Database {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

function connection(path: string): Database.Database {
  let found = connections.get(path);
  if (!found) {
    found = withStatementCache(open(path));
    connections.set(path, found);
  }
  return found;
}

function storeOf(path: string) {
  let found = stores.get(path);
  if (!found) stores.set(path, (found = createReadOnlyStore(connection(path))));
  return found;
}

async function runTask(path: string, module: string, name: string, input: unknown): Promise<unknown> {
  const task = ((await import(module)) as Record<string, StoreTask<unknown, unknown>>)[name];
  return task.run(storeOf(path).store, input);
}

function endStream(id: number) {
  const stream = streams.get(id);
  streams.delete(id);
  if (!stream) return;
  stream.rows.return?.();
  stream.sqlite.close();
}

/** The stream's next batch; the last one says so, and its connection is closed. */
function nextBatch(id: number): ReadResult {
  const stream = streams.get(id);
  if (!stream) return { rows: [], done: true };
  const batch: unknown[] = [];
  const { transformer } = stream;
  for (;;) {
    const next = stream.rows.next();
    if (next.done) {
      endStream(id);
      return { rows: transformer ? [transformer.batch(batch) + transformer.end()] : batch, done: true };
    }
    batch.push(next.value);
    if (batch.length >= stream.batchSize) return { rows: transformer ? [transformer.batch(batch)] : batch };
  }
}

async function answer(message: Exclude<ReadRequest, { kind: 'release' | 'stop' | 'changed' }>): Promise<ReadResult> {
  switch (message.kind) {
    case 'rows':
      return {
        rows: connection(message.path)
          .prepare(message.sql)
          .all(...message.params),
      };
    case 'task':
      return { rows: [], result: await runTask(message.path, message.module, message.name, message.input) };
    case 'stream': {
      const transformer = message.transform && (await loadTextTransform(message.transform));
      const sqlite = open(message.path);
      try {
        streams.set(message.id, { sqlite, rows: sqlite.prepare(message.sql).iterate(...message.params), batchSize: message.batchSize, transformer });
      } catch (err) {
        sqlite.close();
        throw err;
      }
      return nextBatch(message.id);
    }
    case 'more':
      return nextBatch(message.id);
    case 'checkpoint': {
      let sqlite = checkpointers.get(message.path);
      if (!sqlite) checkpointers.set(message.path, (sqlite = new Database(message.path, { fileMustExist: true })));
      sqlite.pragma('wal_checkpoint(PASSIVE)');
      return { rows: [] };
    }
  }
}

parentPort!.on('message', (message: ReadRequest) => {
  if (message.kind === 'release') {
    connections.get(message.path)?.close();
    connections.delete(message.path);
    checkpointers.get(message.path)?.close();
    checkpointers.delete(message.path);
    stores.delete(message.path);
    parentPort!.postMessage({ id: message.id, result: { rows: [] } } satisfies ReadReply);
    return;
  }
  if (message.kind === 'changed') {
    const { change } = message;
    const cache = stores.get(message.path)?.cache;
    if ('scopes' in change) cache?.invalidate(...change.scopes);
    else cache?.invalidateRanges(change.ranges);
    return;
  }
  if (message.kind === 'stop') return endStream(message.id);
  answer(message).then(
    (result) => parentPort!.postMessage({ id: message.id, result } satisfies ReadReply),
    (err: unknown) => {
      if (message.kind === 'stream' || message.kind === 'more') endStream(message.id);
      const { message: text, code } = err as { message: string; code?: string };
      parentPort!.postMessage({ id: message.id, error: { message: text, code } } satisfies ReadReply);
    },
  );
});
