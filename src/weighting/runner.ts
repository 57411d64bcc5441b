import type { FastifyBaseLogger } from 'fastify';
import type { StaleRun, WeighedRun, WeightingRepository } from './queries.js';

const ROWS_PER_COMMIT = 500;

/**
 * Keeps weights current: every neighborhood-month whose raking window was written to is raked again, one neighborhood
 * at a time, its responses read once per pass and raked off the event loop (WeightingRepository.weigh). Passes are
 * serialised, so two never rake the same neighborhood-month at once.
 */
export function createWeightingRunner(repository: WeightingRepository, log: Pick<FastifyBaseLogger, 'error'>) {
  let queue: Promise<number> = Promise.resolve(0);

  async function weighStale(): Promise<number> {
    let weighed = 0;
    // Stale months come in survey, neighborhood and month order: each neighborhood's responses are read once.
    const places = new Map<string, StaleRun[]>();
    for (const run of await repository.staleRuns()) {
      const key = `${run.surveyId}|${run.neighborhoodId}`;
      places.set(key, [...(places.get(key) ?? []), run]);
    }
    for (const runs of places.values()) {
      const raked = await repository.weigh(runs);
      let batch: WeighedRun[] = [];
      let rows = 0;
      for (const [index, month] of raked.entries()) {
        batch.push(month);
        rows += month.weights.length;
        // Months share a commit up to a few hundred weights: one commit per month made the first pass at 300 neighborhoods
        // × 6 years mostly syncing, while a save holds the connection, so residents' submissions wait for it to end.
        if (rows >= ROWS_PER_COMMIT || index === raked.length - 1) {
          // A write during the pass leaves its month stale (not stored here): the next pass weighs it again.
          weighed += await repository.save(batch);
          batch = [];
          rows = 0;
        }
      }
    }
    return weighed;
  }

  /** Weighs every stale neighborhood-month; resolves with how many were stored once this pass (and any before it) ends. */
  function runStale(): Promise<number> {
    queue = queue.catch(() => 0).then(weighStale);
    return queue;
  }

  return {
    runStale,
    /**
     * Runs `runStale` every `seconds` (from the end of one pass to the start of the next, at least) until `stop`; a
     * failure is logged and retried at the next pass.
     */
    every(seconds: number): { stop: () => Promise<void> } {
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const pass = async () => {
        const started = performance.now();
        await runStale().catch((error: unknown) => log.error({ err: error }, 'weighting failed; the weights stay as they were and are tried again'));
        if (stopped) return;
        timer = setTimeout(() => void pass(), nextPassDelay(seconds * 1000, performance.now() - started));
        timer.unref();
      };
      void pass();
      return {
        stop: async () => {
          stopped = true;
          clearTimeout(timer);
          await queue.catch(() => undefined);
        },
      };
    },
  };
}

/** Weighting's share of one core at most, however fast responses come in. */
export const WEIGHTING_SHARE = 0.2;

/**
 * How long to wait before the next pass: the interval, or longer after a long pass, so that passes take at most
 * WEIGHTING_SHARE of the time. At 50 responses a second over 300 neighborhoods, every pass re-rakes each one's current
 * month from its twelve-month window: passes every 10 s took half a core, from the figures pages and residents share.
 */
export const nextPassDelay = (intervalMs: number, passMs: number): number => Math.max(intervalMs, (passMs * (1 - WEIGHTING_SHARE)) / WEIGHTING_SHARE);

export type WeightingRunner = ReturnType<typeof createWeightingRunner>;
