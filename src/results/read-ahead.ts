import type { FastifyInstance } from 'fastify';
import { bucketEnd, bucketsBetween } from '../stats/buckets.js';
import { gridsTask, readAheadTask } from './figures.js';

// Months read per task: a page asked for meanwhile waits for one such read at most (~100 ms at 300 neighborhoods).
const MONTHS_PER_READ = 3;

/**
 * Reads each survey's month sums into the figures' cache once the server has started, newest months first, up to
 * `rows` rows in all, as a page would read them (on SQLite, on the figures worker). Without it the first pages after
 * a start wait for the grid they count: at 300 neighborhoods × 6 years, seconds. Stops when asked, between reads.
 */
export function readAhead(app: FastifyInstance, rows: number) {
  let stopped = false;
  async function read() {
    const started = performance.now();
    let left = rows;
    const grids = await app.store.task(gridsTask, undefined);
    surveys: for (const survey of new Set(grids.map((g) => g.survey))) {
      const grid = grids.filter((g) => g.survey === survey);
      const measures = grid.map((g) => g.measure);
      const neighborhoods = Math.max(...grid.map((g) => g.neighborhoods));
      const first = grid.reduce((a, g) => (g.first < a ? g.first : a), grid[0].first);
      const last = grid.reduce((a, g) => (g.last > a ? g.last : a), grid[0].last);
      // Census-weighted figures are the default where a survey has margins: their sums are read too.
      const weightings = (await app.weighting.hasMargins(survey)) ? [true, false] : [false];
      const months = bucketsBetween(first, last, 'month').reverse();
      for (let i = 0; i < months.length; i += MONTHS_PER_READ) {
        const chunk = months.slice(i, i + MONTHS_PER_READ);
        // At most this many rows (a neighborhood without responses in a month has none).
        const cost = chunk.length * measures.length * neighborhoods * weightings.length;
        if (stopped) return rows - left;
        if (cost > left) break surveys;
        left -= cost;
        for (const weighted of weightings)
          await app.store.task(readAheadTask, { survey, measures, from: chunk.at(-1)!, to: bucketEnd(chunk[0], 'month'), weighted });
      }
    }
    app.log.info({ rows: rows - left, ms: Math.round(performance.now() - started) }, 'figures read ahead');
    return rows - left;
  }
  const done = read().catch((err: unknown) => {
    if (!stopped) app.log.warn({ err }, 'reading figures ahead failed: pages read their sums when asked');
    return 0;
  });
  return {
    /** Rows read at most (an estimate from above), once done. */
    done,
    stop() {
      stopped = true;
      return done;
    },
  };
}
