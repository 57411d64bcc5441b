import type Database from 'better-sqlite3';

export interface ReadCacheOptions {
  maxEntries?: number;
  /** Rows changed so far by writes that cannot affect what is cached (they do not empty the cache). */
  unrelatedChanges?: () => number;
}

/**
 * Memoizes reads until the database changes: any change by this connection (total_changes) or a commit by another
 * (data_version) empties the cache. Cached values are shared: callers must treat them as read-only.
 */
export function createReadCache(sqlite: Database.Database, { maxEntries = 256, unrelatedChanges = () => 0 }: ReadCacheOptions = {}) {
  const changeStamp = sqlite.prepare('SELECT total_changes(), (SELECT data_version FROM pragma_data_version)').raw();
  let changes = -1;
  let version = -1;
  const cache = new Map<string, unknown>();
  return function cached<T>(key: string, read: () => T): T {
    const [total, nowVersion] = changeStamp.get() as [number, number];
    const nowChanges = total - unrelatedChanges();
    if (nowChanges !== changes || nowVersion !== version || (cache.size >= maxEntries && !cache.has(key))) {
      cache.clear();
      changes = nowChanges;
      version = nowVersion;
    }
    if (!cache.has(key)) cache.set(key, read());
    return cache.get(key) as T;
  };
}
