import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * Where tests keep their databases: a RAM-backed folder (/dev/shm) when the machine has one, else the temp folder. Each
 * SQLite commit at synchronous=FULL waits for an fsync (about 3 ms on a virtual disk), which left a core idle for much
 * of the suite; the files, the WAL and every call to fsync are the same, only the wait goes. Durability across a power
 * cut is not what any test checks (a killed process loses nothing the OS already holds).
 */
export const scratchRoot = (() => {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // No RAM-backed folder: the temp folder.
  }
  return tmpdir();
})();
