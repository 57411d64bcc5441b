import t from 'tap';
import { buildTestApp } from '../helper/app.js';
import { BOUND, describeLeak, runDisclosureAttack, type Leak } from '../helper/disclosure/attack.js';

/*
 * The disclosure bound (issue 12): from everything a liaison or the public can read, the least-squares estimate of the
 * total score of any group of 1–9 responses has an SD of at least 15 points. The same attack runs in two modes:
 *  - protected: the release rules as shipped (cell-key perturbation of every neighborhood × month atom);
 *  - perturbation off (negative control, `unsafeExactFigures`): the same grid and floor without noise; the attack
 *    must find groups it recovers.
 * Pages are rendered with cached templates (NODE_ENV=production) to keep the requests well under a minute.
 */
const rules = { MIN_GROUP_SIZE: '10', MIN_RELIABLE_SIZE: '30', NODE_ENV: 'production' };

/** SD of the noise the release rules add to one atom's sum of scores (points) and to one atom's count. */
const ATOM_NOISE = { sum: 45, count: 1 };

/** A group total known to better than a point is recovered (pages round means to 0.1, so an exact leak shows ~0.5). */
const RECOVERED = 1;

t.test('negative control: without perturbation the attack recovers small groups from the released figures', async (t) => {
  const { app } = await buildTestApp(t, rules, { unsafeExactFigures: true });
  // Every route and parameter, their variants on two measures (`reads: 'routes'`); the protected run reads them all.
  const report = await runDisclosureAttack({ app, mode: 'perturbation-off', sigma: 0, reads: 'routes' });

  // The collector reads the routes right: every shown figure matches the records it is mapped to.
  t.same(report.mismatches, [], 'every figure read matches the ground-truth records it is mapped to');
  t.same(report.inconsistencies, [], 'no exact figure contradicts the others');
  t.ok(report.figures > 500, `${report.figures} distinct figures from ${report.requests} requests`);
  t.same(report.liveMoves, [], 'a submission today (the month still filling) moves no released figure');
  t.ok(report.importMoves.length > 0, `the import backdated into the last complete month moves ${report.importMoves.length} figures`);
  t.same(report.voidMoves, [], 'voiding the import brings every figure back');
  t.ok(report.worst.size >= 1 && report.worst.size <= 9 && report.worst.sd < RECOVERED, `the worst group is recovered: ${describeLeak(report.worst)}`);
  t.notOk(
    report.perMeasure.some((m) => m.provenByEigenvalue),
    'no measure passes the eigenvalue check',
  );

  // Leaks the grid alone does not stop, found by the attack (a group of 1–9 responses whose total it recovers).
  const leaks: [string, (name: string) => boolean][] = [
    ['an import and its void: figures read before and after', (n) => n.startsWith('live: the imported')],
    ['those who skipped a demographic question: a total minus its shown groups', (n) => n.startsWith('total minus shown groups') || n.startsWith('skipped ')],
    ['a hidden neighborhood-month: the city minus the other neighborhood (/api/trends)', (n) => n.startsWith('hidden: GET /api/trends')],
  ];
  for (const [what, named] of leaks) {
    const found = report.candidates.find((c: Leak) => c.sd < RECOVERED && c.names.some(named));
    const how = found && found.names.find(named);
    t.ok(
      found,
      found
        ? `${what}: ${found.measure} of ${found.size} response(s) recovered as ${found.estimate.toFixed(1)} (true ${found.truth.toFixed(1)}), SD ${found.sd.toFixed(2)}, from ${how}`
        : `${what}: not found`,
    );
  }
  const live = report.candidates.filter((c) => c.names.includes('live: the one new submission'));
  t.ok(
    live.every((c) => c.sd > 100),
    `the submission today is not estimable: ${live.map((c) => `${c.measure} SD ${c.sd.toFixed(0)}`).join(', ')}`,
  );
  t.comment(`groups of 1–9 under ${BOUND} points: ${report.leaks.length}; the worst ones:\n${report.describe(8)}`);
});

t.test('protected: no group of 1–9 responses has its total estimated to better than 15 points', async (t) => {
  const { app } = await buildTestApp(t, rules);
  const report = await runDisclosureAttack({ app, mode: 'protected', sigma: ATOM_NOISE });
  t.same(report.nonAtomFigures, [], 'every released figure is a union of whole atoms');
  t.same(report.inconsistencies, []);
  t.same(report.liveMoves, [], 'a submission today (the month still filling) moves no released figure');
  t.same(report.voidMoves, [], 'voiding the import brings every figure back (same records, same noise)');
  t.comment(report.perMeasure.map((m) => `${m.measure}: worst SD ${m.worst.sd.toFixed(2)} (${m.worst.size} response(s), ${m.worst.how})`).join('\n'));
  t.ok(report.worst.sd >= BOUND, `worst group SD ${report.worst.sd.toFixed(2)} ≥ ${BOUND}:\n${report.describe(8)}`);
});
