import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import type { ReadReply, ReadRequest } from './off-loop-reads.js';
import { withStatementCache } from './statements.js';

// The worker behind off-loop reads: read-only connections, one per database file, each with its statements prepared
// once (as the app's connection does), and one more per stream (an export), since a connection that is iterating rows
// runs nothing else. A connection reads committed data only, and a write on the app's connection never waits for it (WAL).
const connections = new Map<string, Database.Database>();
const streams = new Map<number, { sqlite: Database.Database; rows: IterableIterator<unknown>; batchSize: number }>();

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
function nextBatch(id: number): ReadReply {
  const stream = streams.get(id);
  if (!stream) return { id, rows: [], done: true };
  const batch: unknown[] = [];
  for (;;) {
    const next = stream.rows.next();
    if (next.done) {
      endStream(id);
      return { id, rows: batch, done: true };
    }
    batch.push(next.value);
    if (batch.length >= stream.batchSize) return { id, rows: batch };
  }
}

function answer(message: Exclude<ReadRequest, { kind: 'release' | 'stop' }>): ReadReply {
  switch (message.kind) {
    case 'rows':
      return { id: message.id, rows: rows(message.path, message.sql, message.params) };
    case 'stream': {
      const sqlite = open(message.path);
      try {
        streams.set(message.id, { sqlite, rows: sqlite.prepare(message.sql).iterate(...message.params), batchSize: message.batchSize });
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
  let reply: ReadReply;
  try {
    reply = answer(message);
  } catch (err) {
    if (message.kind !== 'rows') endStream(message.id);
    const { message: text, code } = err as { message: string; code?: string };
    reply = { id: message.id, error: { message: text, code } };
  }
  parentPort!.postMessage(reply);
});
