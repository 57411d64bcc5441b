import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import { loadTextTransform, type TextTransformer } from '../text-transform.js';
import type { ReadReply, ReadRequest, ReadResult } from './off-loop-reads.js';
import { withStatementCache } from './statements.js';

// The worker behind off-loop reads: read-only connections, one per database file, each with its statements prepared
// once (as the app's connection does), and one more per stream (an export), since a connection that is iterating rows
// runs nothing else. A connection reads committed data only, and a write on the app's connection never waits for it (WAL).
const connections = new Map<string, Database.Database>();
// A stream with a transformer answers each batch as its text (one string), and the text of its end with the last.
const streams = new Map<number, { sqlite: Database.Database; rows: IterableIterator<unknown>; batchSize: number; transformer?: TextTransformer }>();

function open(path: string): Database.Database {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

function rows(path: string, source: string, params: unknown[]): unknown[] {
  let connection = connections.get(path);
  if (!connection) {
    connection = withStatementCache(open(path));
    connections.set(path, connection);
  }
  return connection.prepare(source).all(...params);
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

async function answer(message: Exclude<ReadRequest, { kind: 'release' | 'stop' }>): Promise<ReadResult> {
  switch (message.kind) {
    case 'rows':
      return { rows: rows(message.path, message.sql, message.params) };
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
  }
}

parentPort!.on('message', (message: ReadRequest) => {
  if (message.kind === 'release') {
    connections.get(message.path)?.close();
    connections.delete(message.path);
    return;
  }
  if (message.kind === 'stop') return endStream(message.id);
  answer(message).then(
    (result) => parentPort!.postMessage({ id: message.id, result } satisfies ReadReply),
    (err: unknown) => {
      if (message.kind !== 'rows') endStream(message.id);
      const { message: text, code } = err as { message: string; code?: string };
      parentPort!.postMessage({ id: message.id, error: { message: text, code } } satisfies ReadReply);
    },
  );
});
