import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `name` (a module beside `from`, which is the caller's `import.meta.url`). The compiled app
 * runs `name.js`; the tests run the TypeScript sources through tsx, whose loader Node 20 does not pass on to workers,
 * so there the worker registers it before importing `name.ts`.
 */
export function startWorker(from: string, name: string, options: WorkerOptions): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const source = new URL(`./${name}.ts`, from).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { ...options, eval: true });
}
