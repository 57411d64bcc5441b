import { createWorkerClient } from '../worker-client.js';
import type { TaskName, Tasks } from './tasks.js';

export interface TaskRequest {
  id: number;
  task: TaskName;
  args: unknown[];
}

// Statistics over hundreds of neighborhoods take tens of milliseconds (an event's placebo windows, thousands of them):
// run on a thread of their own, they never hold a resident's submission on the event loop, which only copies their
// sums there and their result back.
const computations = createWorkerClient<TaskRequest, unknown>(new URL('./worker.js', import.meta.url), (error) => new Error(error.message));

/** Runs a pure computation of src/compute/tasks.ts on the compute worker's thread. */
export function offLoop<K extends TaskName>(task: K, ...args: Parameters<Tasks[K]>): Promise<ReturnType<Tasks[K]>> {
  return computations.ask({ id: computations.id(), task, args }) as Promise<ReturnType<Tasks[K]>>;
}
