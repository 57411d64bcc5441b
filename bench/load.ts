import autocannon from 'autocannon';
import { benchCity, submissionBodies } from './forms.js';

/** Load generator (its own process, so it can be pinned to its own core): argv[2] is JSON options; prints JSON. */
export interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  seed: number;
  /** The generated city's size: submissions go to its neighborhoods. */
  neighborhoods: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
}

const options = JSON.parse(process.argv[2]) as LoadOptions;
const bodies = submissionBodies(2000, options.seed, benchCity(options.neighborhoods));
let next = 0;
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.duration,
  requests: [
    {
      method: 'POST',
      path: '/surveys/community-trust',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
    },
  ],
});
const statusCounts = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count]));
const output: LoadResult = {
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  total: result.requests.total,
  statusCounts,
  errors: result.errors,
  timeouts: result.timeouts,
};
console.log(JSON.stringify(output));
