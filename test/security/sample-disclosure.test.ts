import t from 'tap';
import { buildTestApp } from '../helper/app.js';
import { runSampleAttack } from '../helper/disclosure/samples.js';
import type { GroupFinding } from '../helper/disclosure/engine.js';

/*
 * The disclosure bound for figures by sample type (issue 18): all − opt-in = invitation, so a neighborhood-month's few
 * invitation responses would be one subtraction away. The attack reads every sample's trends and event impacts:
 *  - protected (as shipped): no group of 1–9 responses is estimated to better than 15 points;
 *  - negative controls with perturbation off: with the complementary rule the small invitation and opt-in parts stay
 *    out of reach; without it (`unsafeSampleParts`) the attack recovers them.
 */
// Means from the privacy floor up (not 30), so far more figures are released to attack.
const rules = { MIN_GROUP_SIZE: '10', MIN_RELIABLE_SIZE: '10', LOW_RELIABILITY_SIZE: '10', NODE_ENV: 'production' };
const BOUND = 15;
/** A group total known to better than a point is recovered. */
const RECOVERED = 1;
const line = (g: GroupFinding) =>
  `${g.records.length} response(s) ${g.records.join(',')}: SD ${g.sd.toFixed(2)}, estimate ${g.estimate.toFixed(1)} (true ${g.truth.toFixed(1)}), ${g.how}`;

t.test('negative control: exact figures without the complementary rule give away the small invitation groups', async (t) => {
  const { app } = await buildTestApp(t, rules, { unsafeExactFigures: true, unsafeSampleParts: true });
  const report = await runSampleAttack({ app, exact: true, rule: false, bound: BOUND });
  t.same(report.mismatches, [], 'every figure read matches the records it is mapped to');
  t.same(report.leftOutMismatches, [], 'nothing is left out without the rule');
  t.ok(report.smallParts.length >= 4, `${report.smallParts.length} small sample parts in the fixture`);
  const recovered = report.smallParts.filter((g) => g.sd < RECOVERED);
  t.ok(
    recovered.some((g) => g.how.startsWith('small invitation part')),
    `all − opt-in recovers a small invitation group:\n${recovered.map(line).join('\n')}`,
  );
});

t.test('negative control: exact figures with the complementary rule keep the small sample parts out of reach', async (t) => {
  const { app } = await buildTestApp(t, rules, { unsafeExactFigures: true });
  const report = await runSampleAttack({ app, exact: true, rule: true, bound: BOUND });
  t.same(report.mismatches, [], 'every figure read matches the records it is mapped to (left-out atoms included)');
  t.same(report.leftOutMismatches, [], "the API's left-out neighborhood-months are the rule's");
  t.ok(report.smallParts.length >= 4, `${report.smallParts.length} small sample parts in the fixture`);
  for (const g of report.smallParts) t.ok(g.sd >= BOUND, line(g));
  t.ok(report.figures > 50, `${report.figures} distinct figures from ${report.requests} requests`);
});

t.test('protected: no group of 1–9 responses has its total estimated to better than 15 points from any sample', async (t) => {
  const { app } = await buildTestApp(t, rules);
  const report = await runSampleAttack({ app, exact: false, rule: true, bound: BOUND });
  t.same(report.leftOutMismatches, []);
  t.ok(report.worst.sd >= BOUND, `worst: ${line(report.worst)}\n${report.leaks.slice(0, 6).map(line).join('\n')}`);
  t.comment(`${report.figures} figures from ${report.requests} requests; worst ${line(report.worst)}`);
});
