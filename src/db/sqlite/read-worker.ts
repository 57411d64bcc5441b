import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';
import type { ReadReply, ReadRequest } from './off-loop-reads.js';

// The worker behind off-loop reads: read-only connections, one per database file, each with its statements prepared
// once. A connection reads committed data only, and a write on the app's connection never waits for it (WAL).
const MAX_STATEMENTS = 200;
const connections = new Map<string, { sqlite: Database.Database; statements: Map<string, Database.Statement> }>();

function connection(path: string) {
  let open = connections.get(path);
  if (!open) {
    const sqlite = new Database(path, { readonly: true, fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    open = { sqlite, statements: new Map() };
    connections.set(path, open);
  }
  return open;
}

function rows(path: string, source: string, params: unknown[]): unknown[] {
  const { sqlite, statements } = connection(path);
  let statement = statements.get(source);
  if (!statement) {
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    statement = sqlite.prepare(source);
    statements.set(source, statement);
  }
  return statement.all(...params);
}

parentPort!.on('message', (message: ReadRequest) => {
  if (message.kind === 'release') {
    connections.get(message.path)?.sqlite.close();
    connections.delete(message.path);
    return;
  }
  let reply: ReadReply;
  try {
    reply = { id: message.id, rows: rows(message.path, message.sql, message.params) };
  } catch (err) {
    const { message: text, code } = err as { message: string; code?: string };
    reply = { id: message.id, error: { message: text, code } };
  }
  parentPort!.postMessage(reply);
});
