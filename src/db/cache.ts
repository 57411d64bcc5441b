import type { CacheOptions, CacheScope, FigureRange } from './store.js';

/** What a cache was told changed: whole scopes, or the figures over some days. */
export type CacheChange = { scopes: readonly CacheScope[] } | { ranges: readonly FigureRange[] };

interface Entry {
  value: Promise<unknown>;
  over?: FigureRange;
}

interface Kind {
  sizes: Map<string, number>;
  total: number;
}

/**
 * Reads memoized per scope until the store says that scope's data changed. Writes bump versions explicitly (and, on
 * SQLite, a commit by another process is noticed through data_version), so no read is served from before a write.
 * Figures may say which days they are built from, so that a submission empties only the figures of its day; large
 * values may be kept few of a kind. `onChange` hears of every change, for caches kept elsewhere of the same data.
 */
export function createScopedCache({ maxEntries = 20_000, onChange }: { maxEntries?: number; onChange?: (change: CacheChange) => void } = {}) {
  const entries = { settings: new Map<string, Entry>(), figures: new Map<string, Entry>() };
  // The kinds kept few, per scope: their keys' sizes, oldest first, and the sizes' total.
  const kinds = { settings: new Map<string, Kind>(), figures: new Map<string, Kind>() };
  const kindOf = (key: string) => key.slice(0, key.indexOf(':') + 1);

  function remove(scope: CacheScope, key: string) {
    entries[scope].delete(key);
    const kind = kinds[scope].get(kindOf(key));
    const size = kind?.sizes.get(key);
    if (kind && size !== undefined) {
      kind.sizes.delete(key);
      kind.total -= size;
    }
  }

  /** Sizes a value of a kind kept few, then removes the oldest others of its kind while the kind holds more than it keeps. */
  function fit(scope: CacheScope, key: string, size: number, keep: number) {
    const kind = kinds[scope].get(kindOf(key)) ?? { sizes: new Map<string, number>(), total: 0 };
    kinds[scope].set(kindOf(key), kind);
    kind.total += size - (kind.sizes.get(key) ?? 0);
    kind.sizes.set(key, size);
    for (const oldest of kind.sizes.keys()) {
      if (kind.total <= keep) break;
      if (oldest !== key) remove(scope, oldest);
    }
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
    get<T>(scope: CacheScope, key: string, read: () => Promise<T>, { over, keep, size }: CacheOptions<T> = {}): Promise<T> {
      const cache = entries[scope];
      const entry = cache.get(key);
      if (entry) return entry.value as Promise<T>;
      // The oldest entry makes room (Map keeps insertion order); of a kind kept few, the oldest of that kind.
      if (cache.size >= maxEntries) remove(scope, cache.keys().next().value!);
      // Sized as 1 while it is read, then as what it holds.
      if (keep !== undefined) fit(scope, key, 1, keep);
      const value = read();
      cache.set(key, { value, over });
      value.then(
        (read) => {
          if (keep !== undefined && size && cache.get(key)?.value === value) fit(scope, key, Math.max(1, size(read)), keep);
        },
        // A failed read is not kept: the next caller tries again.
        () => {
          if (cache.get(key)?.value === value) remove(scope, key);
        },
      );
      return value;
    },
  };
}

export type ScopedCache = ReturnType<typeof createScopedCache>;
