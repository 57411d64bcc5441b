/**
 * Runs `task` for many callers, one call at a time: a caller is answered by the first call that starts after it asked,
 * which carries everything asked for until then. Round trips that only need to happen "after now" (a NOTIFY after a
 * commit, a barrier before a cached read) are shared by everyone who asks while one is under way.
 */
export function coalesce<T>(task: (items: Set<T>) => Promise<void>): (items?: Iterable<T>) => Promise<void> {
  let running: Promise<void> | null = null;
  let next: { items: Set<T>; done: Promise<void> } | null = null;
  const start = (items: Set<T>) => {
    const call: Promise<void> = task(items).finally(() => {
      if (running === call) running = null;
    });
    running = call;
    return call;
  };
  return (items = []) => {
    if (!running) return start(new Set(items));
    if (!next) {
      const queued = { items: new Set<T>(), done: Promise.resolve() };
      queued.done = running
        .catch(() => {})
        .then(() => {
          next = null;
          return start(queued.items);
        });
      next = queued;
    }
    for (const item of items) next.items.add(item);
    return next.done;
  };
}
