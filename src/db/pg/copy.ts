import { Column, getTableName, is, sql, Table, type SQL } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import * as sqliteSchema from '../schema.js';
import type { DatabaseHandle } from '../sqlite/client.js';
import type { PgDb, PgHandle } from './client.js';
import { isoMoment } from './moment.js';
import * as pgSchema from './schema.js';

export interface CopiedTable {
  table: string;
  rows: number;
  /** SHA-256 of the table's rows in primary-key order, the same read back from SQLite and from PostgreSQL. */
  checksum: string;
}

/** The copy was refused or did not verify: nothing was committed to PostgreSQL. */
export class CopyError extends Error {
  override name = 'CopyError';
}

type Row = Record<string, unknown>;
// The two schemas have the same exports (test/db/schemas.test.ts).
type TableName = keyof typeof pgSchema;

interface Pair {
  name: TableName;
  sqlite: SQLiteTable;
  pg: PgTable;
  /** The columns with their property names, in schema order. */
  columns: { property: string; column: Column }[];
  /** The primary key's columns, in key order. */
  key: { property: string; column: Column }[];
}

// Every table of the schema, each after the tables it references, so foreign keys hold at every insert.
function tablesInDependencyOrder(): Pair[] {
  const pairs = (Object.keys(pgSchema) as TableName[])
    .filter((name) => is(pgSchema[name], PgTable))
    .map((name) => {
      const pg = pgSchema[name] as unknown as PgTable;
      const config = pgTableConfig(pg);
      const columns = Object.entries(pg as unknown as Record<string, unknown>)
        .filter((entry): entry is [string, Column] => is(entry[1], Column))
        .map(([property, column]) => ({ property, column }));
      const keyNames = (config.primaryKeys[0]?.columns ?? config.columns.filter((c) => c.primary)).map((c) => c.name);
      const key = keyNames.map((keyName) => columns.find((c) => c.column.name === keyName)!);
      return { name, sqlite: sqliteSchema[name] as unknown as SQLiteTable, pg, columns, key };
    });
  const references = new Map(pairs.map((p) => [getTableName(p.pg), pgTableConfig(p.pg).foreignKeys.map((fk) => getTableName(fk.reference().foreignTable))]));
  const ordered: Pair[] = [];
  const placed = new Set<string>();
  while (ordered.length < pairs.length) {
    const ready = pairs.filter(
      (p) => !placed.has(getTableName(p.pg)) && references.get(getTableName(p.pg))!.every((r) => placed.has(r) || r === getTableName(p.pg)),
    );
    if (ready.length === 0) throw new Error('the schema has a cycle of foreign keys');
    for (const p of ready) {
      ordered.push(p);
      placed.add(getTableName(p.pg));
    }
  }
  return ordered;
}

/** JSON with object keys sorted: PostgreSQL's jsonb keeps its own key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Row)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** A moment as ISO 8601 UTC, however SQLite stored it ('…T…Z' as the app writes it, or '… …' from older tools). */
function normalMoment(value: string): string {
  const zoned = /([zZ]|[+-]\d\d(:?\d\d)?)$/.test(value) ? value : `${value}Z`;
  return isoMoment(zoned.replace(/[zZ]$/, '+00'));
}

/** A row as one line of text, the same from either database: booleans, JSON, days and moments normalized. */
function rowText(pair: Pair, row: Row): string {
  return canonicalJson(
    pair.columns.map(({ property, column }) => {
      const value = row[property];
      if (value === null || value === undefined) return null;
      if (column.columnType === 'PgCustomColumn') return normalMoment(value as string);
      return value;
    }),
  );
}

/** Pages of a table's rows in primary-key order (by keyset, so a large table costs no more per page than a small one). */
async function* pages(pair: Pair, read: (where: SQL | undefined, orderBy: SQL[]) => Promise<Row[]>, textKey: (column: Column) => SQL) {
  let after: unknown[] | null = null;
  for (;;) {
    const key = pair.key.map(({ column }) => textKey(column));
    const where: SQL | undefined = after
      ? sql`(${sql.join(key, sql`, `)}) > (${sql.join(
          after.map((v) => sql`${v}`),
          sql`, `,
        )})`
      : undefined;
    const rows = await read(where, key);
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1];
    after = pair.key.map(({ property }) => last[property]);
  }
}

function sqliteReader(handle: DatabaseHandle, pair: Pair, size: number) {
  // Column names are the same in both dialects, so the key expressions built from the pg columns read SQLite too.
  return pages(
    pair,
    (where, orderBy) =>
      handle.db
        .select()
        .from(pair.sqlite)
        .where(where)
        .orderBy(...orderBy)
        .limit(size),
    (column) => sql`${sql.identifier(column.name)}`,
  );
}

function pgReader(db: PgDb, pair: Pair, size: number) {
  return pages(
    pair,
    (where, orderBy) =>
      db
        .select()
        .from(pair.pg)
        .where(where)
        .orderBy(...orderBy)
        .limit(size),
    // Byte order, as SQLite compares text: the database's collation may sort 'B' before 'a' or not.
    (column) => (column.columnType === 'PgText' ? sql`${sql.identifier(column.name)} COLLATE "C"` : sql`${sql.identifier(column.name)}`),
  );
}

async function checksum(rows: AsyncIterable<Row[]>, pair: Pair) {
  const hash = createHash('sha256');
  let count = 0;
  for await (const page of rows)
    for (const row of page) {
      hash.update(rowText(pair, row)).update('\n');
      count++;
    }
  return { rows: count, checksum: hash.digest('hex') };
}

/** One value in COPY's text format: \N for null, backslash escapes for the characters the format gives meaning to. */
function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (typeof value === 'boolean') text = value ? 't' : 'f';
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else text = JSON.stringify(value);
  return text.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
}

/** Writes pages of rows to a table with COPY FROM STDIN: many times faster than inserts for a large install. */
async function copyInto(client: pg.PoolClient, pair: Pair, pages: AsyncIterable<Row[]>): Promise<number> {
  const columns = pair.columns.map(({ column }) => `"${column.name}"`).join(', ');
  const stream = client.query(copyFrom(`COPY "${getTableName(pair.pg)}" (${columns}) FROM STDIN`));
  const done = finished(stream);
  let copied = 0;
  for await (const page of pages) {
    // Each column's own mapping to what PostgreSQL stores (JSON, booleans, moments), as an insert would apply it.
    const lines = page.map((row) =>
      pair.columns.map(({ property, column }) => copyText(row[property] == null ? null : column.mapToDriverValue(row[property]))).join('\t'),
    );
    if (!stream.write(`${lines.join('\n')}\n`)) await once(stream, 'drain');
    copied += page.length;
  }
  stream.end();
  await done;
  return copied;
}

/**
 * Copies every table of an SQLite install into an empty PostgreSQL database (migrated first), in one transaction: in
 * dependency order, with COPY, identity sequences moved past the copied ids, then each table's row count and checksum
 * compared on both sides before the commit. SQLite is read in one read transaction, so the copy is of one moment even
 * if a server is still writing (stop it first, or its later writes are not copied).
 */
export async function copySqliteToPg(
  source: DatabaseHandle,
  target: PgHandle,
  { batchSize = 5000, progress = () => {} }: { batchSize?: number; progress?: (message: string) => void } = {},
): Promise<CopiedTable[]> {
  const pairs = tablesInDependencyOrder();
  const missing = Object.keys(sqliteSchema).filter((name) => is(sqliteSchema[name as keyof typeof sqliteSchema], Table) && !pairs.some((p) => p.name === name));
  if (missing.length > 0) throw new Error(`tables with no PostgreSQL counterpart: ${missing.join(', ')}`);
  // One connection for the whole copy: COPY streams on it, inside the transaction its queries run in.
  const client = await target.pool.connect();
  const tx = drizzle(client, { schema: pgSchema });
  let broken: Error | undefined;
  source.sqlite.exec('BEGIN');
  try {
    await client.query('BEGIN');
    for (const pair of pairs) {
      const [{ exists }] = (await tx.execute<{ exists: boolean }>(sql`SELECT EXISTS (SELECT 1 FROM ${pair.pg}) AS "exists"`)).rows;
      if (exists) throw new CopyError(`the PostgreSQL database already has data (table ${getTableName(pair.pg)}): copy only into an empty database.`);
    }
    for (const pair of pairs) {
      const copied = await copyInto(client, pair, sqliteReader(source, pair, batchSize));
      const config = pgTableConfig(pair.pg);
      for (const column of config.columns.filter((c) => c.generatedIdentity))
        await tx.execute(
          sql`SELECT setval(pg_get_serial_sequence(${config.name}, ${column.name}), (SELECT coalesce(max(${sql.identifier(column.name)}), 0) + 1 FROM ${pair.pg}), false)`,
        );
      progress(`${getTableName(pair.pg)}: ${copied} ${copied === 1 ? 'row' : 'rows'} copied`);
    }
    const report: CopiedTable[] = [];
    for (const pair of pairs) {
      const from = await checksum(sqliteReader(source, pair, batchSize), pair);
      const to = await checksum(pgReader(tx, pair, batchSize), pair);
      const table = getTableName(pair.pg);
      if (from.rows !== to.rows || from.checksum !== to.checksum)
        throw new CopyError(
          `${table} does not match after copying: SQLite ${from.rows} rows (${from.checksum.slice(0, 16)}), PostgreSQL ${to.rows} rows (${to.checksum.slice(0, 16)}). Nothing was committed.`,
        );
      report.push({ table, ...to });
    }
    await client.query('COMMIT');
    return report;
  } catch (err) {
    broken = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A connection that failed midway is closed rather than given back to the pool.
    client.release(broken);
    source.sqlite.exec('COMMIT');
  }
}
