import { AsyncLocalStorage } from 'node:async_hooks';

type Mode = 'shared' | 'exclusive';

interface Holder {
  mode: Mode;
  active: boolean;
}

/**
 * Who may use the one SQLite connection: many readers at a time, or one transaction alone. better-sqlite3 runs each
 * statement synchronously, but a transaction whose work awaits would otherwise let another request's statements run
 * inside it (and see or commit its uncommitted rows). Work started inside a holder's own work runs at once.
 */
export class ConnectionLock {
  #readers = 0;
  #writer = false;
  #queue: { mode: Mode; go: () => void }[] = [];
  #holder = new AsyncLocalStorage<Holder>();

  /** The lock this async context already holds, if any. */
  held(): Mode | undefined {
    const holder = this.#holder.getStore();
    return holder?.active ? holder.mode : undefined;
  }

  async run<T>(mode: Mode, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.#queue.push({ mode, go });
      this.#next();
    });
    const holder: Holder = { mode, active: true };
    try {
      return await this.#holder.run(holder, work);
    } finally {
      // Timers the work left behind inherit its context: they must not think they hold the connection.
      holder.active = false;
      if (mode === 'exclusive') this.#writer = false;
      else this.#readers--;
      this.#next();
    }
  }

  // First come, first served: a waiting transaction holds back later readers, so it is never starved.
  #next() {
    while (this.#queue.length > 0 && !this.#writer) {
      const head = this.#queue[0];
      if (head.mode === 'exclusive') {
        if (this.#readers > 0) return;
        this.#writer = true;
      } else this.#readers++;
      this.#queue.shift();
      head.go();
    }
  }
}
