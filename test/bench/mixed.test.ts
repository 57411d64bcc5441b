import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { residents, summarizeSubmissions, type Outcome } from '../../bench/mixed.js';
import { mixedRows, submissionsCell } from '../../bench/run.js';
import { parseShape } from '../../bench/shapes.js';

/** `count` submissions sent on time at `rate`, each acknowledged after `ms` (or a function of its index). */
const acked = (count: number, rate: number, ms: number | ((i: number) => number)): Outcome[] =>
  Array.from({ length: count }, (_, i) => ({ sentMs: (i * 1000) / rate, lagMs: 0, ms: typeof ms === 'number' ? ms : ms(i) }));
const failed = (count: number, failure: string): Outcome[] => Array.from({ length: count }, () => ({ sentMs: 0, lagMs: 0, failure }));
const late: Outcome[] = acked(100, 50, 5).map((o, i) => (i < 97 ? o : { ...o, lagMs: 50 }));

t.test('a rate is sustained only when every submission is acknowledged, at the rate asked for', async (t) => {
  const kept = summarizeSubmissions(50, acked(100, 50, 5));
  t.match(kept, { count: 100, sent: 100, failed: 0, late: 0, sustained: true, p99: 5 });
  t.equal(kept.achievedRate, 50);

  // Failures are counted by reason and never vanish: the percentiles say how many they are of.
  const failing = summarizeSubmissions(500, [...acked(97, 500, 8), ...failed(2, 'timeout 10 s'), ...failed(1, 'ECONNRESET')]);
  t.match(failing, { count: 97, sent: 100, failed: 3, failures: { 'timeout 10 s': 2, ECONNRESET: 1 }, sustained: false });

  // Sent behind schedule (a busy machine) is said, but the server kept up: every one acknowledged, at the rate.
  t.match(summarizeSubmissions(50, late), { late: 3, failed: 0, sustained: true });
  // Each acknowledgement 2 ms later than the last one's: the server falls behind and answers at half the rate.
  t.match(
    summarizeSubmissions(
      500,
      acked(1000, 500, (i) => 5 + 2 * i),
    ),
    { achievedRate: 250, failed: 0, sustained: false },
    'falling behind',
  );
  t.match(summarizeSubmissions(50, []), { sent: 0, achievedRate: 0, sustained: false }, 'nothing sent is nothing sustained');
});

t.test('a rate not sustained is said in the table and judged a miss', async (t) => {
  const failing = summarizeSubmissions(500, [...acked(90, 500, 30), ...failed(10, 'timeout 10 s')]);
  t.equal(submissionsCell(failing), 'NOT SUSTAINED: 500/s of 500/s, 10 of 100 failed (10 timeout 10 s); p50 30.0 ms, p99 30.0 ms (90 acked)');
  const kept = summarizeSubmissions(500, acked(1000, 500, 30));
  t.equal(submissionsCell(kept), 'p50 30.0 ms, p99 30.0 ms (1000 acked)');
  t.equal(submissionsCell(summarizeSubmissions(50, late)), 'p50 5.0 ms, p99 5.0 ms (100 acked, 3 sent late)');
  t.equal(
    submissionsCell(
      summarizeSubmissions(
        500,
        acked(1000, 500, (i) => 5 + 2 * i),
      ),
    ),
    'NOT SUSTAINED: 250/s of 500/s, 0 of 1000 failed; p50 1003.0 ms, p99 1983.0 ms (1000 acked)',
  );

  // Fast enough (p99 30 ms, ×1 alone), but with traffic a tenth failed: a miss, not a pass.
  const rows = mixedRows({
    shape: parseShape('8x2y'),
    n: 1000,
    rates: [
      {
        rate: 500,
        alone: kept,
        withTraffic: failing,
        ratio: 1,
        // Fast, but one request of the two timed out: counted against the route.
        routes: { 'GET /results': { count: 1, p50: 20, p95: 20, p99: 20, failed: 1, failures: { 'status 408': 1 } } },
        eventLoopDelayMs: { p50: 1, p99: 2, max: 3 },
        peakRssMb: 100,
      },
    ],
    duringExport: { ...failing, exportSeconds: 1, peakRssMb: 100 },
    distinctUrls: 0,
  });
  const verdicts = Object.fromEntries(rows.map((row) => [row[0].replace('[8x2y, N 1,000] ', ''), row[3]]));
  t.equal(verdicts['submit at 500/s, alone'], 'met');
  t.equal(verdicts['submit at 500/s, staff and public browsing'], 'MISSED');
  t.equal(verdicts['submit at 500/s during the export'], 'MISSED');
  t.equal(verdicts['500/s: GET /results'], 'MISSED');
  t.match(rows.find((row) => row[0].endsWith('GET /results'))?.[1], /^1 FAILED \(1 status 408\); p50 20\.0/);
});

// A real server that cuts every 5th submission's connection and never answers every 7th: the phase ends, with each counted.
t.test('refused, reset and timed-out submissions are counted, not thrown', async (t) => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const i = Number(new URLSearchParams(body).get('i'));
      if (i % 5 === 4) return req.socket.destroy();
      if (i % 7 === 6) return;
      res.writeHead(303, { location: '/' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bodies = Array.from({ length: 40 }, (_, i) => `i=${i}`);
  const figures = await residents(url, bodies, 80, 0.5, 300);
  const cut = bodies.filter((_, i) => i % 5 === 4).length;
  const hung = bodies.filter((_, i) => i % 5 !== 4 && i % 7 === 6).length;
  t.equal(figures.sent, 40);
  t.equal(figures.failed, cut + hung);
  t.equal(figures.count, 40 - cut - hung);
  t.equal(figures.failures['timeout 0.3 s'], hung);
  t.equal(
    Object.values(figures.failures).reduce((sum, n) => sum + n, 0),
    cut + hung,
    `every failure has its reason (${JSON.stringify(figures.failures)})`,
  );
  t.equal(figures.sustained, false);

  // And an address nobody listens on: refused, every one of them.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = await residents(`http://127.0.0.1:${port}`, bodies, 80, 0.1, 300);
  t.same(refused.failures, { ECONNREFUSED: refused.sent });
  t.equal(refused.count, 0);
});
