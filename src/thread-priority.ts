import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

// Niceness of worker threads: below the event loop's (0), so the operating system gives a resident's submission the
// core first and a staff page's statistics or an export what is left (on two cores they compete for the same ones).
const WORKER_NICENESS = 10;

/**
 * Lowers the calling thread's scheduling priority (Linux: /proc/thread-self names the thread's id, and setpriority on
 * a thread id sets that thread's alone). Elsewhere, or if refused, the thread keeps the process's.
 */
export function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, WORKER_NICENESS);
  } catch {
    // Not Linux, or not allowed: the same priority as the event loop, as before.
  }
}
