import { eq } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { importBatches } from '../db/schema.js';
import type { SurveyRepository } from '../survey/queries.js';
import { createBatchRevealer, createResponseVoider, type NewResponse } from '../survey/response-recorder.js';
import type { ParseRequest } from './parse-worker.js';
import { type ImportContext, type ImportProblem, validateImport } from './validate.js';

/** The void reason of rows written while their import is still running: hidden everywhere, like any voided row. */
export const IMPORT_IN_PROGRESS = 'import in progress';
// Rows the worker hands over at a time, and the longest the main thread writes before letting other requests run.
const CHUNK_ROWS = 2000;
const SLICE_MS = 20;
// Files up to this size (about 2,000 rows) are checked in well under the time a worker takes to start.
const IN_PROCESS_BYTES = 64 * 1024;

type Row = Omit<NewResponse, 'importBatchId'>;
export type CheckedFile = { ok: false; problems: ImportProblem[]; more: number } | { ok: true; count: number; nextChunk(): Promise<Row[]>; close(): void };

const otherRequestsRun = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Decodes, parses and checks a CSV file with validateImport's rules: a large one in a worker thread, so the event loop
 * stays free; a small one (checked in milliseconds) right here, as starting a worker costs more.
 */
export async function checkFile(file: Buffer, context: ImportContext): Promise<CheckedFile> {
  if (file.length > IN_PROCESS_BYTES) return checkInWorker(file, context);
  const result = validateImport(file, context);
  if (!result.ok) return result;
  let next = 0;
  return { ok: true, count: result.responses.length, close: () => undefined, nextChunk: async () => result.responses.slice(next, (next += CHUNK_ROWS)) };
}

function checkInWorker(file: Buffer, context: ImportContext): Promise<CheckedFile> {
  const request: ParseRequest = { file, context, chunkSize: CHUNK_ROWS };
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: request });
  let waiting: { resolve(value: never): void; reject(err: unknown): void } | null = null;
  const close = () => void worker.terminate();
  return new Promise<CheckedFile>((resolve, reject) => {
    waiting = { resolve: resolve, reject };
    worker.on('message', (message) => {
      const current = waiting;
      waiting = null;
      if (!current) return;
      if (Array.isArray(message)) return current.resolve(message as never);
      if (!message.ok) close();
      current.resolve(
        (message.ok
          ? {
              ok: true,
              count: message.count,
              close,
              nextChunk: () =>
                new Promise<Row[]>((resolveChunk, rejectChunk) => {
                  waiting = { resolve: resolveChunk, reject: rejectChunk };
                  worker.postMessage('next');
                }),
            }
          : message) as never,
      );
    });
    worker.on('error', (err) => waiting?.reject(err));
    worker.on('exit', (code) => waiting?.reject(new Error(`the import worker stopped (exit code ${code})`)));
  });
}

/**
 * Stores a checked import, all rows or none, without holding up residents: rows are written in short transactions
 * (each under SLICE_MS, other requests run in between), hidden as voided with IMPORT_IN_PROGRESS under a batch marked
 * 'importing'; one last transaction adds them to the rollups, makes them live and marks the batch 'imported'. A
 * failure deletes what was written; an import cut short by a crash is deleted at the next start.
 */
export function createImportStore(database: DatabaseHandle, surveys: SurveyRepository) {
  const { db, sqlite } = database;
  const voider = createResponseVoider(sqlite);
  // Answers and scores go with their response (ON DELETE CASCADE); hidden rows are in no rollup.
  const deleteSome = sqlite.prepare('DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE import_batch_id = ? LIMIT 1000)');
  const deleteBatch = sqlite.prepare('DELETE FROM import_batches WHERE id = ?');
  const unfinished = sqlite.prepare("SELECT id FROM import_batches WHERE status = 'importing'").pluck();

  async function discard(batchId: number) {
    while (deleteSome.run(batchId).changes > 0) await otherRequestsRun();
    deleteBatch.run(batchId);
  }

  return {
    /** Deletes imports a crash cut short (at start, before any import can be running). */
    discardUnfinished() {
      for (const id of unfinished.all() as number[]) {
        sqlite.transaction(() => {
          while (deleteSome.run(id).changes > 0);
          deleteBatch.run(id);
        })();
      }
    },
    /** Writes every row of `file` as one batch; `finish` runs in the transaction that makes them visible. */
    async store(options: {
      surveyId: number;
      questions: Parameters<SurveyRepository['recordInTransaction']>[1];
      fileName: string;
      createdBy: number | null;
      file: Extract<CheckedFile, { ok: true }>;
      finish: (batchId: number) => void;
    }): Promise<number> {
      const { surveyId, questions, file } = options;
      const batch = db
        .insert(importBatches)
        .values({ surveyId, fileName: options.fileName, rowCount: file.count, createdBy: options.createdBy, status: 'importing' })
        .returning({ id: importBatches.id })
        .get();
      const revealer = createBatchRevealer(sqlite);
      try {
        for (let rows = await file.nextChunk(); rows.length > 0; rows = await file.nextChunk()) {
          for (let i = 0; i < rows.length; await otherRequestsRun()) {
            surveys.recordInTransaction(surveyId, questions, (record) => {
              const started = performance.now();
              do {
                const row = rows[i++];
                const id = record({ ...row, importBatchId: batch.id });
                revealer.add(id, row);
                voider.setVoided(id, true, IMPORT_IN_PROGRESS);
              } while (i < rows.length && performance.now() - started < SLICE_MS);
            });
          }
        }
        sqlite.transaction(() => {
          revealer.reveal(batch.id, IMPORT_IN_PROGRESS);
          db.update(importBatches).set({ status: 'imported' }).where(eq(importBatches.id, batch.id)).run();
          options.finish(batch.id);
        })();
        return batch.id;
      } catch (err) {
        // If even this fails (a full disk), the next start deletes the batch.
        await discard(batch.id).catch(() => undefined);
        throw err;
      } finally {
        file.close();
      }
    },
  };
}
