import { statSync } from 'node:fs';
import { checkpointOffLoop } from './off-loop-reads.js';

/** SQLite's own threshold for an automatic checkpoint: 1,000 pages of 4 KiB. */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;

/**
 * Checkpoints of the write-ahead log on a worker thread. SQLite checkpoints automatically in the COMMIT that takes the
 * log past 1,000 pages, on the committing connection: copying pages into the database file and syncing both files held
 * the event loop for up to a second (at 300 neighborhoods, 1M responses, with figures read all the while, most commits
 * did one). The app's connection checkpoints no more (wal_autocheckpoint = 0); after a commit that leaves the log past
 * the threshold, a worker's connection runs a passive checkpoint, which never blocks a writer or a reader.
 */
export function createCheckpointer(path: string) {
  const walPath = `${path}-wal`;
  let running: Promise<void> | null = null;
  let closed = false;
  return {
    /** Called after each commit: starts a checkpoint when the log is past the threshold and none is running. */
    committed() {
      if (running || closed) return;
      const size = statSync(walPath, { throwIfNoEntry: false })?.size ?? 0;
      if (size < CHECKPOINT_WAL_BYTES) return;
      // A failed checkpoint (a full disk) is tried again after the next commit; the write that failed says why.
      running = checkpointOffLoop(path)
        .catch(() => {})
        .finally(() => (running = null));
    },
    /**
     * Starts no more checkpoints and waits for a running one, before the store releases the workers' connections: one
     * started after would open a connection that outlives the app's, which then could not remove the log.
     */
    async close() {
      closed = true;
      await running;
    },
  };
}
