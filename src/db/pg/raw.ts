import pg from 'pg';
import { isoMoment } from './moment.js';

/** Raw rows as they look on SQLite, whose results repositories were written against: booleans 1/0, moments ISO. */
export function likeSqlite<T>(result: pg.QueryResult): T[] {
  const booleans = result.fields.filter((f) => f.dataTypeID === pg.types.builtins.BOOL).map((f) => f.name);
  const moments = result.fields.filter((f) => f.dataTypeID === pg.types.builtins.TIMESTAMPTZ).map((f) => f.name);
  if (booleans.length > 0 || moments.length > 0)
    for (const row of result.rows) {
      for (const name of booleans) if (row[name] !== null) row[name] = row[name] ? 1 : 0;
      for (const name of moments) if (row[name] !== null) row[name] = isoMoment(row[name] as string);
    }
  return result.rows as T[];
}
