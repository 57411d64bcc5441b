import { Worker } from 'node:worker_threads';

/** What a worker answers a request with: the request's id and its result, or its error. */
export type WorkerReply<R> = { id: number; result: R } | { id: number; error: { message: string; code?: string } };

/**
 * One worker thread for the process, started on first use and shared by every caller (a test process builds hundreds
 * of apps): requests carry an id and are answered in any order. The worker keeps the process alive only while it is
 * asked something, and one that dies fails what it was asked; the next request starts another.
 */
export function createWorkerClient<Q extends { id: number }, R>(url: URL, toError: (error: { message: string; code?: string }) => Error) {
  let worker: Worker | undefined;
  let nextId = 1;
  const waiting = new Map<number, (reply: WorkerReply<R>) => void>();

  function start(): Worker {
    const started = new Worker(url);
    started.on('message', (reply: WorkerReply<R>) => {
      const caller = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0) started.unref();
      caller?.(reply);
    });
    const fail = (err: Error) => {
      if (worker === started) worker = undefined;
      for (const caller of waiting.values()) caller({ id: 0, error: { message: err.message } });
      waiting.clear();
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`A worker thread stopped (exit code ${code}).`)));
    return started;
  }

  function ask(request: Q): Promise<R> {
    worker ??= start();
    const promise = new Promise<R>((resolve, reject) =>
      waiting.set(request.id, (reply) => ('result' in reply ? resolve(reply.result) : reject(toError(reply.error)))),
    );
    worker.ref();
    worker.postMessage(request);
    return promise;
  }

  return {
    /** A fresh request id. */
    id: () => nextId++,
    /** Sends a request and waits for its result. */
    ask,
    /** Sends a request to the worker if one is running and waits for its result; none if none is (nothing to ask it). */
    askRunning: (request: Q): Promise<R | undefined> => (worker ? ask(request) : Promise.resolve(undefined)),
    /** Sends a message that has no answer. */
    tell(message: unknown) {
      worker?.postMessage(message);
    },
  };
}
