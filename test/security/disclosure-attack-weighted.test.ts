import t from 'tap';
import { buildTestApp } from '../helper/app.js';
import { BOUND, describeLeak, runDisclosureAttack } from '../helper/disclosure/attack.js';

/*
 * The disclosure bound on census-weighted figures (issue 17): the attack of disclosure-attack.test.ts on the sparse city
 * with census margins, its responses weighed (varied weights, the largest trimmed at 5 × the mean), every figure read
 * weighted (the default) and again with `weighting=unweighted`, so the attacker holds each cell both ways; after the
 * live steps the census is revised, weighing every month of a neighborhood again. The attacker knows every weight.
 * Reads are the "core" set (month trends of every measure at rolling 1–12 and what spans the same atoms) to keep the
 * run within seconds; the full set runs unweighted in disclosure-attack.test.ts.
 */
const rules = { MIN_GROUP_SIZE: '10', MIN_RELIABLE_SIZE: '30', NODE_ENV: 'production' };
const ATOM_NOISE = { sum: 45, count: 1 };
/** A group total known to better than a point is recovered. */
const RECOVERED = 1;

t.test('negative control: without perturbation, weighted/unweighted pairs recover small groups', async (t) => {
  const { app } = await buildTestApp(t, rules, { unsafeExactFigures: true });
  const report = await runDisclosureAttack({ app, mode: 'perturbation-off', sigma: 0, weighting: 'pairs', reads: 'core' });
  t.same(report.mismatches, [], 'every weighted and unweighted figure matches the records and weights it is mapped to');
  t.same(report.inconsistencies, [], 'no exact figure contradicts the others');
  t.ok(report.weightedFigures > 200, `${report.weightedFigures} of ${report.figures} figures are weighted means`);
  t.ok(report.worst.sd < RECOVERED, `the worst group is recovered: ${describeLeak(report.worst)}`);
  // A weighted and an unweighted total of the same responses differ in their coefficients: together they single out more.
  const weightedOnly = report.leaks.filter((l) => l.sd < RECOVERED && l.size === 1);
  t.ok(weightedOnly.length > 0, `${weightedOnly.length} single responses recovered, e.g. ${weightedOnly[0] && describeLeak(weightedOnly[0])}`);
  t.comment(`groups of 1–9 under ${BOUND} points: ${report.leaks.length}; the worst ones:\n${report.describe(8)}`);
});

t.test('protected: weighted figures and weighted/unweighted pairs keep every group of 1–9 at SD ≥ 15', async (t) => {
  const { app } = await buildTestApp(t, rules);
  const report = await runDisclosureAttack({ app, mode: 'protected', sigma: ATOM_NOISE, weighting: 'pairs', reads: 'core' });
  t.ok(report.weightedFigures > 200, `${report.weightedFigures} of ${report.figures} figures are weighted means`);
  t.ok(report.largestWeightRatio > 3, `weights vary: the largest is ${report.largestWeightRatio.toFixed(1)} × its month's mean`);
  t.same(report.nonAtomFigures, [], 'every released figure is a union of whole atoms');
  t.same(report.inconsistencies, []);
  t.same(report.liveMoves, [], 'a submission today moves no released figure');
  t.same(report.voidMoves, [], 'voiding the import brings every figure back (same records, same weights, same noise)');
  t.comment(report.perMeasure.map((m) => `${m.measure}: worst SD ${m.worst.sd.toFixed(2)} (${m.worst.size} response(s), ${m.worst.how})`).join('\n'));
  t.ok(report.worst.sd >= BOUND, `worst group SD ${report.worst.sd.toFixed(2)} ≥ ${BOUND}:\n${report.describe(8)}`);
});
