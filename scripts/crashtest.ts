import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';
import { crashRound } from './lib/crash-round.js';

// Soak version of the crash test: `npm run crashtest -- --rounds 50`.
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '16' } } });
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const dir = mkdtempSync(join(tmpdir(), 'cg-crash-'));
let failures = 0;
let acknowledged = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const killAfter = 1 + Math.floor(Math.random() * 400);
    const result = await crashRound({
      server: { command: process.execPath, args: [join(projectRoot, 'dist', 'src', 'server.js')] },
      databasePath: join(dir, 'crash.db'),
      killAfter,
      concurrency,
      label: `round${round}`,
    });
    acknowledged += result.acknowledged;
    const ok =
      result.lostAcknowledged.length === 0 && result.halfWritten === 0 && !result.rollupMismatch && result.integrity === 'ok' && result.restartedHealthy;
    if (!ok) failures++;
    console.log(
      `round ${round}: kill after ${killAfter} acknowledged, ${result.acknowledged} acknowledged, ${result.stored} stored in total, ` +
        `${result.lostAcknowledged.length} lost, ${result.halfWritten} half-written, integrity ${result.integrity}, rollups ${result.rollupMismatch ? 'MISMATCH' : 'consistent'} ${ok ? 'ok' : 'FAILED'}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${rounds - failures} passed, ${failures} failed (${acknowledged} acknowledged submissions checked)`);
process.exit(failures === 0 ? 0 : 1);
