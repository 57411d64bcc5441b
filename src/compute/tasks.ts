import { computeImpact } from '../events/impact.js';

/** Pure computations that may run on the compute worker's thread: their arguments and results are structured-cloned. */
export const tasks = { computeImpact };

export type Tasks = typeof tasks;
export type TaskName = keyof Tasks;
