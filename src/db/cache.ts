import type { CacheScope } from './store.js';

/**
 * Reads memoized per scope until the store says that scope's data changed. Writes bump versions explicitly (and, on
 * SQLite, a commit by another process is noticed through data_version), so no read is served from before a write.
 */
export function createScopedCache({ maxEntries = 256 }: { maxEntries?: number } = {}) {
  const entries = { settings: new Map<string, Promise<unknown>>(), figures: new Map<string, Promise<unknown>>() };
  return {
    /** Empties a scope's entries: its data changed. */
    invalidate(...scopes: CacheScope[]) {
      for (const scope of scopes) entries[scope].clear();
    },
    get<T>(scope: CacheScope, key: string, read: () => Promise<T>): Promise<T> {
      const cache = entries[scope];
      let value = cache.get(key);
      if (value) return value as Promise<T>;
      if (cache.size >= maxEntries) cache.clear();
      value = read();
      cache.set(key, value);
      // A failed read is not kept: the next caller tries again.
      value.catch(() => {
        if (cache.get(key) === value) cache.delete(key);
      });
      return value as Promise<T>;
    },
  };
}

export type ScopedCache = ReturnType<typeof createScopedCache>;
