import type Database from 'better-sqlite3';

/**
 * The connection as drizzle sees it, with `prepare` memoized by SQL text: drizzle prepares every query it runs, and
 * compiling a statement costs more than running a small one (a submission runs the same few statements every time).
 */
export function withStatementCache(sqlite: Database.Database, maxStatements = 500): Database.Database {
  const statements = new Map<string, Database.Statement>();

  function prepare(source: string): Database.Statement {
    let statement = statements.get(source);
    if (statement) statements.delete(source);
    else statement = sqlite.prepare(source);
    // Most recently used last; a statement still being iterated is left to its reader and replaced.
    statements.set(source, statement);
    if (statements.size > maxStatements) statements.delete(statements.keys().next().value!);
    if (statement.busy) return sqlite.prepare(source);
    if (!statement.reader) return statement;
    // Shared: drizzle switches a statement to array rows for some calls, so each call says which rows it wants.
    const shared = statement;
    const calls: Pick<Database.Statement, 'all' | 'get' | 'iterate' | 'run' | 'raw'> = {
      all: (...params: unknown[]) => shared.raw(false).all(...params),
      get: (...params: unknown[]) => shared.raw(false).get(...params),
      iterate: (...params: unknown[]) => shared.raw(false).iterate(...params),
      run: (...params: unknown[]) => shared.run(...params),
      raw: (raw = true) => shared.raw(raw),
    };
    return calls as Database.Statement;
  }

  return new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
