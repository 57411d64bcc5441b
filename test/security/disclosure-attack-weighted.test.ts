import t from 'tap';
import { buildTestApp } from '../helper/app.js';
import { BOUND, describeLeak, runDisclosureAttack } from '../helper/disclosure/attack.js';

const rules = { MIN_GROUP_SIZE: '10', MIN_RELIABLE_SIZE: '30', NODE_ENV: 'production' };
const ATOM_NOISE = { sum: 45, count: 1 };
const RECOVERED = 1;

t.test('negative control, weighted', async (t) => {
  const started = Date.now();
  const { app } = await buildTestApp(t, rules, { unsafeExactFigures: true });
  const report = await runDisclosureAttack({ app, mode: 'perturbation-off', sigma: 0, weighting: 'pairs', reads: 'core' });
  t.comment(`time ${Date.now() - started} ms; ${report.figures} figures from ${report.requests} requests`);
  t.same(report.mismatches.slice(0, 20), []);
  t.same(report.inconsistencies.slice(0, 20), []);
  t.comment(`worst ${describeLeak(report.worst)}; under ${BOUND}: ${report.leaks.length}\n${report.describe(8)}`);
  t.ok(report.worst.sd < RECOVERED);
});

t.test('protected, weighted pairs', async (t) => {
  const started = Date.now();
  const { app } = await buildTestApp(t, rules);
  const report = await runDisclosureAttack({ app, mode: 'protected', sigma: ATOM_NOISE, weighting: 'pairs', reads: 'core' });
  t.comment(`time ${Date.now() - started} ms; ${report.figures} figures from ${report.requests} requests`);
  t.same(report.nonAtomFigures, []);
  t.same(report.inconsistencies, []);
  t.same(report.voidMoves, []);
  t.comment(report.perMeasure.map((m) => `${m.measure}: worst SD ${m.worst.sd.toFixed(2)} (${m.worst.size} response(s), ${m.worst.how})`).join('\n'));
  t.ok(report.worst.sd >= BOUND, `worst group SD ${report.worst.sd.toFixed(2)} ≥ ${BOUND}:\n${report.describe(8)}`);
});
