import { getTableName, is, Table, type Column } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import t from 'tap';
import { openPgDatabase } from '../../src/db/pg/client.js';
import * as pgSchema from '../../src/db/pg/schema.js';
import * as sqliteSchema from '../../src/db/schema.js';
import { testDatabaseUrl } from '../helper/postgres.js';

// The store hands the pg tables to repositories typed as the SQLite ones (one cast in src/db/pg/store.ts): this file
// is what makes that cast safe. First at compile time: the same exports, and per table the same row types.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type TableNames<S> = { [K in keyof S]: S[K] extends Table ? K : never }[keyof S];
type Rows<S, Of extends '$inferSelect' | '$inferInsert'> = { [K in TableNames<S>]: S[K] extends Table ? S[K][Of] : never };
type Sqlite = typeof sqliteSchema;
type Pg = typeof pgSchema;
const sameExports: Equal<keyof Sqlite, keyof Pg> = true;
const sameSelected: { [K in TableNames<Sqlite>]: Equal<Rows<Sqlite, '$inferSelect'>[K], Rows<Pg, '$inferSelect'>[K & TableNames<Pg>]> } = mapTables(true);
const sameInserted: { [K in TableNames<Sqlite>]: Equal<Rows<Sqlite, '$inferInsert'>[K], Rows<Pg, '$inferInsert'>[K & TableNames<Pg>]> } = mapTables(true);

function mapTables<V>(value: V) {
  return Object.fromEntries(
    Object.entries(sqliteSchema)
      .filter(([, v]) => is(v, Table))
      .map(([k]) => [k, value]),
  ) as Record<TableNames<Sqlite>, V>;
}

/** What JavaScript gets from a column: drizzle's data type; for a custom type, what it makes of PostgreSQL's text. */
function jsType(column: Column): string {
  if (column.dataType !== 'custom') return column.dataType;
  return typeof column.mapFromDriverValue('2026-03-17 09:30:00.5+00');
}

function describe(table: SQLiteTable | PgTable) {
  const config = is(table, PgTable) ? pgTableConfig(table) : sqliteTableConfig(table);
  const columns = Object.fromEntries(
    Object.entries(table as unknown as Record<string, Column>)
      .filter(([, column]) => config.columns.includes(column as never))
      .map(([key, c]) => [
        key,
        {
          name: c.name,
          notNull: c.notNull,
          // Filled in when an insert leaves it out: a default, an identity, or SQLite's INTEGER PRIMARY KEY (the rowid).
          generated: c.hasDefault || c.generatedIdentity !== undefined || (c.primary && c.columnType === 'SQLiteInteger'),
          primary: c.primary,
          unique: c.isUnique ? c.uniqueName : null,
          js: jsType(c),
          enum: c.enumValues ?? null,
        },
      ]),
  );
  return {
    name: config.name,
    columns,
    primaryKey: config.primaryKeys.map((key) => key.columns.map((c) => c.name)),
    indexes: config.indexes.map((index) => ({
      name: index.config.name,
      columns: index.config.columns.map((c) => (c as Column).name),
      unique: index.config.unique ?? false,
    })),
    foreignKeys: config.foreignKeys
      .map((key) => {
        const reference = key.reference();
        return {
          columns: reference.columns.map((c) => c.name),
          table: getTableName(reference.foreignTable),
          foreignColumns: reference.foreignColumns.map((c) => c.name),
          onDelete: key.onDelete ?? 'no action',
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

t.test('both dialects have the same exports and row types (checked by the compiler)', async (t) => {
  t.ok(sameExports);
  t.ok(Object.values(sameSelected).every(Boolean) && Object.values(sameInserted).every(Boolean));
  t.same(Object.keys(pgSchema).sort(), Object.keys(sqliteSchema).sort());
});

t.test('both dialects describe the same tables, columns, keys and indexes', async (t) => {
  const tables = Object.keys(mapTables(null));
  t.ok(tables.length >= 17, `${tables.length} tables`);
  for (const name of tables) {
    const sqlite = describe(sqliteSchema[name as keyof Sqlite] as SQLiteTable);
    const postgres = describe(pgSchema[name as keyof Pg] as PgTable);
    t.same(postgres, sqlite, name);
  }
});

t.test('a moment reads back as the app writes it on SQLite', async (t) => {
  const createdAt = pgSchema.surveys.createdAt;
  t.equal(createdAt.mapFromDriverValue('2026-03-17 09:30:00.5+00'), '2026-03-17T09:30:00.500Z');
  t.equal(createdAt.mapFromDriverValue('2026-03-17 09:30:00+00'), '2026-03-17T09:30:00.000Z');
  t.equal(createdAt.mapFromDriverValue('2026-03-17 04:30:00.123-05'), '2026-03-17T09:30:00.123Z', 'whatever the session time zone');
  t.equal(createdAt.mapFromDriverValue('2026-03-17 15:00:00.123+05:30'), '2026-03-17T09:30:00.123Z');
});

t.test('the pg migrations create what the pg schema describes (db:generate was run)', async (t) => {
  const url = await testDatabaseUrl(t);
  const handle = await openPgDatabase(url, { max: 1 });
  t.teardown(() => handle.close());
  const { rows } = await handle.pool.query<{ table: string; column: string; nullable: string; type: string }>(
    `SELECT table_name AS table, column_name AS column, is_nullable AS nullable, data_type AS type
       FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  );
  const expected = Object.values(pgSchema)
    .filter((v) => is(v, PgTable))
    .flatMap((table) => pgTableConfig(table).columns.map((c) => ({ table: getTableName(table), column: c.name, nullable: c.notNull ? 'NO' : 'YES' })))
    .sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column));
  t.same(
    rows.map(({ type: _, ...row }) => row),
    expected,
  );
  const types = new Set(rows.map((r) => r.type));
  t.same([...types].sort(), ['bigint', 'boolean', 'date', 'double precision', 'integer', 'jsonb', 'text', 'timestamp with time zone'], 'native types');
  const indexes = await handle.pool.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'`);
  const names = new Set(indexes.rows.map((r) => r.name));
  for (const table of Object.values(pgSchema).filter((v) => is(v, PgTable)))
    for (const index of pgTableConfig(table).indexes) t.ok(names.has(index.config.name!), `index ${index.config.name}`);
});
