import type Database from 'better-sqlite3';

/**
 * Memoizes reads until the database changes: any change by this connection (total_changes) or a commit by another
 * (data_version) empties the cache. Cached values are shared: callers must treat them as read-only.
 */
export function createReadCache(sqlite: Database.Database, maxEntries = 256) {
  const changeStamp = sqlite.prepare('SELECT total_changes(), (SELECT data_version FROM pragma_data_version)').raw();
  let cacheStamp = '';
  const cache = new Map<string, unknown>();
  return function cached<T>(key: string, read: () => T): T {
    const stamp = (changeStamp.get() as number[]).join(':');
    if (stamp !== cacheStamp || (cache.size >= maxEntries && !cache.has(key))) {
      cache.clear();
      cacheStamp = stamp;
    }
    if (!cache.has(key)) cache.set(key, read());
    return cache.get(key) as T;
  };
}
