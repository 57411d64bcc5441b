import { parentPort } from 'node:worker_threads';
import type { WorkerReply } from '../worker-client.js';
import { tasks, type TaskName } from './tasks.js';
import type { TaskRequest } from './off-loop.js';

// The thread behind off-loop computations: runs one task at a time and answers with its result or its error.
parentPort!.on('message', ({ id, task, args }: TaskRequest) => {
  let reply: WorkerReply<unknown>;
  try {
    reply = { id, result: (tasks[task as TaskName] as (...a: unknown[]) => unknown)(...args) };
  } catch (err) {
    reply = { id, error: { message: (err as Error).message } };
  }
  parentPort!.postMessage(reply);
});
