import { parentPort, workerData } from 'node:worker_threads';
import { validateImport, type ImportContext } from './validate.js';

export interface ParseRequest {
  file: Uint8Array;
  context: ImportContext;
  chunkSize: number;
}

// Runs in a worker thread: decoding, parsing and checking a large file would otherwise stall every request for seconds.
// Problems come back in one message; good rows come back a chunk at a time, each when the main thread asks for it.
const { file, context, chunkSize } = workerData as ParseRequest;
const port = parentPort!;
const result = validateImport(Buffer.from(file.buffer, file.byteOffset, file.byteLength), context);
if (!result.ok) {
  port.postMessage({ ok: false, problems: result.problems, more: result.more });
} else {
  let next = 0;
  port.postMessage({ ok: true, count: result.responses.length });
  port.on('message', () => {
    port.postMessage(result.responses.slice(next, next + chunkSize));
    next += chunkSize;
  });
}
