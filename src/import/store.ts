import { and, asc, eq, inArray } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { audit, type AuditEntry } from '../audit/record.js';
import type { Question } from '../db/schema.js';
import { first, type Db, type Store } from '../db/store.js';
import type { SurveyRepository } from '../survey/queries.js';
import { createBatchRevealer, type NewResponse } from '../survey/response-recorder.js';
import type { ParseRequest } from './parse-worker.js';
import { type ImportContext, type ImportProblem, validateImport } from './validate.js';

/** The void reason of rows written while their import is still running: hidden everywhere, like any voided row. */
export const IMPORT_IN_PROGRESS = 'import in progress';
// Rows the worker hands over at a time, and the longest the main thread writes before letting other requests run.
const CHUNK_ROWS = 2000;
const SLICE_MS = 20;
// Rows recorded per statement within a slice, and deleted per transaction when an import is discarded.
const WRITE_ROWS = 50;
const DELETE_ROWS = 1000;
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
export function createImportStore(store: Store, surveys: SurveyRepository, timeZone: string) {
  const { importBatches, neighborhoods, responses, surveys: surveysTable } = store.tables;

  // Answers and scores go with their responses (ON DELETE CASCADE); hidden rows are in no rollup.
  async function deleteSome(tx: Db, batchId: number): Promise<number> {
    const some = tx.select({ id: responses.id }).from(responses).where(eq(responses.importBatchId, batchId)).limit(DELETE_ROWS);
    return (await tx.delete(responses).where(inArray(responses.id, some)).returning({ id: responses.id })).length;
  }

  async function discard(batchId: number) {
    while ((await store.transaction((tx) => deleteSome(tx, batchId), { invalidates: ['figures'] })) > 0) await otherRequestsRun();
    await store.transaction((tx) => tx.delete(importBatches).where(eq(importBatches.id, batchId)), { invalidates: ['figures'] });
  }

  return {
    /** Every survey, for the import form. */
    surveys: () => store.read((db) => db.select().from(surveysTable).orderBy(asc(surveysTable.id))),
    /** Every neighborhood, retired ones too (old paper forms may name them). */
    neighborhoods: () => store.read((db) => db.select().from(neighborhoods).orderBy(asc(neighborhoods.id))),
    /** A finished import, for the page confirming it. */
    imported: (batchId: number) =>
      store.read((db) =>
        first(
          db
            .select()
            .from(importBatches)
            .where(and(eq(importBatches.id, batchId), eq(importBatches.status, 'imported')))
            .limit(1),
        ),
      ),
    /** Deletes imports a crash cut short (at start, before any import can be running). */
    async discardUnfinished() {
      const unfinished = await store.read((db) => db.select({ id: importBatches.id }).from(importBatches).where(eq(importBatches.status, 'importing')));
      for (const { id } of unfinished) {
        await store.transaction(
          async (tx) => {
            while ((await deleteSome(tx, id)) > 0);
            await tx.delete(importBatches).where(eq(importBatches.id, id));
          },
          { invalidates: ['figures'] },
        );
      }
    },
    /** Writes every row of `file` as one batch, and the audit entry `audit` gives in the transaction that makes them visible. */
    async store(options: {
      surveyId: number;
      questions: readonly Question[];
      fileName: string;
      createdBy: number | null;
      file: Extract<CheckedFile, { ok: true }>;
      audit: (batchId: number) => AuditEntry;
    }): Promise<number> {
      const { surveyId, questions, file } = options;
      const [batch] = await store.transaction(
        (tx) =>
          tx
            .insert(importBatches)
            .values({ surveyId, fileName: options.fileName, rowCount: file.count, createdBy: options.createdBy, status: 'importing' })
            .returning({ id: importBatches.id }),
        { invalidates: ['figures'] },
      );
      const revealer = createBatchRevealer(store, timeZone);
      try {
        for (let rows = await file.nextChunk(); rows.length > 0; rows = await file.nextChunk()) {
          for (let i = 0; i < rows.length; await otherRequestsRun()) {
            await surveys.recordInTransaction(surveyId, questions, async (record) => {
              const started = performance.now();
              do {
                const some = rows.slice(i, (i += WRITE_ROWS)).map((row) => ({ ...row, importBatchId: batch.id }));
                revealer.add((await record(some, { hiddenAs: IMPORT_IN_PROGRESS })).rollups);
              } while (i < rows.length && performance.now() - started < SLICE_MS);
            });
          }
        }
        await store.transaction(
          async (tx) => {
            await revealer.reveal(tx, batch.id, IMPORT_IN_PROGRESS);
            await tx.update(importBatches).set({ status: 'imported' }).where(eq(importBatches.id, batch.id));
            await audit(tx, store.tables, options.audit(batch.id));
          },
          { invalidates: ['figures'] },
        );
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
