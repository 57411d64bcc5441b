import type { CacheOptions, CacheScope, FigureRange } from './store.js';

/** What a cache was told changed: whole scopes, or the figures over some days. */
export type CacheChange = { scopes: readonly CacheScope[] } | { ranges: readonly FigureRange[] };

interface Entry {
  value: Promise<unknown>;
  over?: FigureRange;
}

/**
 * Reads memoized per scope until the store says that scope's data changed. Writes bump versions explicitly (and, on
 * SQLite, a commit by another process is noticed through data_version), so no read is served from before a write.
 * Figures may say which days they are built from, so that a submission empties only the figures of its day; large
 * values may be kept few of a kind. `onChange` hears of every change, for caches kept elsewhere of the same data.
 */
export function createScopedCache({ maxEntries = 20_000, onChange }: { maxEntries?: number; onChange?: (change: CacheChange) => void } = {}) {
  const entries = { settings: new Map<string, Entry>(), figures: new Map<string, Entry>() };
  // Keys of the kinds kept few, oldest first, per scope.
  const kinds = { settings: new Map<string, Set<string>>(), figures: new Map<string, Set<string>>() };
  const kindOf = (key: string) => key.slice(0, key.indexOf(':') + 1);

  function remove(scope: CacheScope, key: string) {
    entries[scope].delete(key);
    kinds[scope].get(kindOf(key))?.delete(key);
  }

  return {
    /** Empties a scope's entries: its data changed. */
    invalidate(...scopes: CacheScope[]) {
      for (const scope of scopes) {
        entries[scope].clear();
        kinds[scope].clear();
      }
      if (scopes.length > 0) onChange?.({ scopes });
    },
    /** Empties the figures built from any day of these ranges, and every figure that does not say what it is built from. */
    invalidateRanges(changed: readonly FigureRange[]) {
      if (changed.length === 0) return;
      for (const [key, { over }] of entries.figures) {
        if (!over || changed.some((c) => c.survey === over.survey && c.from <= over.to && c.to >= over.from)) remove('figures', key);
      }
      onChange?.({ ranges: changed });
    },
    get<T>(scope: CacheScope, key: string, read: () => Promise<T>, { over, keep }: CacheOptions = {}): Promise<T> {
      const cache = entries[scope];
      const entry = cache.get(key);
      if (entry) return entry.value as Promise<T>;
      // The oldest entry makes room (Map keeps insertion order); of a kind kept few, the oldest of that kind.
      if (cache.size >= maxEntries) remove(scope, cache.keys().next().value!);
      if (keep !== undefined) {
        let ofKind = kinds[scope].get(kindOf(key));
        if (!ofKind) kinds[scope].set(kindOf(key), (ofKind = new Set()));
        while (ofKind.size >= keep) remove(scope, ofKind.values().next().value!);
        ofKind.add(key);
      }
      const value = read();
      cache.set(key, { value, over });
      // A failed read is not kept: the next caller tries again.
      value.catch(() => {
        if (cache.get(key)?.value === value) remove(scope, key);
      });
      return value;
    },
  };
}

export type ScopedCache = ReturnType<typeof createScopedCache>;
