import { benchNeighborhoods, submissionBodies } from './forms.js';
import { countLines, percentile } from './http.js';

export interface MixedPhase {
  count: number;
  p50: number;
  p99: number;
}

export interface MixedResult {
  rate: number;
  /** Residents' submissions with nobody else on the server. */
  alone: MixedPhase;
  /** The same while a liaison opens neighborhood pages one after another. */
  withStaff: MixedPhase;
  /** The liaison's neighborhood pages meanwhile (p99 holds their slowest of the run). */
  pages: MixedPhase;
  /** Submissions while an admin downloads the whole wide CSV export, and how long that took. */
  duringExport: MixedPhase & { exportSeconds: number };
}

const phase = (times: number[]): MixedPhase => {
  times.sort((a, b) => a - b);
  return { count: times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
};

/**
 * What a resident sees while staff work: submissions at a steady `rate` a second for `seconds`, first alone, then while
 * one liaison opens neighborhood pages back to back, each a different neighborhood and window (no page repeated in a
 * row, so the figures' cache does not flatter it), then while an admin downloads the whole export (`exportRequest`:
 * its URL with the CSRF token, and the session cookie). Every submission must be acknowledged (303).
 */
export async function measureMixed(
  url: string,
  cookie: string,
  seconds: number,
  exportRequest: { url: string; cookie: string },
  rate = 50,
): Promise<MixedResult> {
  const bodies = submissionBodies(Math.ceil(seconds * rate * 2) + 10, 11);
  // Submissions until `seconds` have passed, or until `until` settles.
  const residents = async (until?: Promise<unknown>) => {
    let ended = false;
    void until?.finally(() => (ended = true));
    const times: number[] = [];
    const sent: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; until ? !ended : performance.now() - started < seconds * 1000; i++) {
      const at = performance.now();
      sent.push(
        fetch(`${url}/surveys/community-trust`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bodies[i % bodies.length],
          redirect: 'manual',
        }).then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 303) throw new Error(`a submission answered ${res.status}`);
          times.push(performance.now() - at);
        }),
      );
      // Steady: the next one leaves on schedule, whether or not the last was answered.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + ((i + 1) * 1000) / rate - performance.now())));
    }
    await Promise.all(sent);
    return phase(times);
  };
  const alone = await residents();
  let browsing = true;
  const pageTimes: number[] = [];
  const liaison = (async () => {
    for (let i = 0; browsing; i++) {
      const neighborhood = benchNeighborhoods[i % benchNeighborhoods.length];
      const at = performance.now();
      const res = await fetch(`${url}/results/${neighborhood.slug}?survey=community-trust&bucket=month&rolling=${[1, 3, 6, 12][i % 4]}`, {
        headers: { cookie },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`a neighborhood page answered ${res.status}`);
      pageTimes.push(performance.now() - at);
    }
  })();
  const withStaff = await residents().finally(() => (browsing = false));
  await liaison;
  const exportStarted = performance.now();
  const exported = fetch(exportRequest.url, { headers: { cookie: exportRequest.cookie } }).then(async (res) => {
    if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
    await countLines(res.body!);
    return (performance.now() - exportStarted) / 1000;
  });
  const duringExport = await residents(exported);
  return { rate, alone, withStaff, pages: phase(pageTimes), duringExport: { ...duringExport, exportSeconds: await exported } };
}
