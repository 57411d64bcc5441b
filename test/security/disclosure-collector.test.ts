import t from 'tap';
import { Collector, type Phase } from '../helper/disclosure/collector.js';
import { solve } from '../helper/disclosure/engine.js';
import type { GroundRecord, SurveyShape } from '../helper/disclosure/records.js';

const shape: SurveyShape = {
  items: [
    { code: 'respect', scale: '0-10', reverse: false },
    { code: 'listening', scale: '0-10', reverse: false },
  ],
  measures: new Map([
    ['trust', ['respect', 'listening']],
    ['respect', ['respect']],
    ['listening', ['listening']],
  ]),
  choices: new Map(),
};

function record(id: number, date: string, respect: number, listening?: number): GroundRecord {
  const points = new Map([['respect', respect]]);
  if (listening !== undefined) points.set('listening', listening);
  return { id, key: `r${id}`, neighborhood: 'a', date, points, items: new Map([...points].map(([k, v]) => [k, v * 10])), choices: new Map() };
}

const july = [record(1, '2026-07-02', 6, 8), record(2, '2026-07-20', 4, 2), record(3, '2026-07-28', 10)];
const stored: Phase = { name: 'stored', live: july };
const trustOf = (records: GroundRecord[]) => records.filter((r) => r.points.size === 2).map((r) => (r.items.get('respect')! + r.items.get('listening')!) / 2);
const cellOf = (scores: number[]) => ({ n: scores.length, mean: scores.reduce((a, b) => a + b, 0) / scores.length });

t.test('trust counts only respondents who answered both items, as half of each', async (t) => {
  const c = new Collector(shape, null, ['a']);
  c.cell(stored, 'July trust', ['a'], '2026-07-01', '2026-07-31', { kind: 'measure', measure: 'trust' }, cellOf(trustOf(july)), 0);
  t.same(c.mismatches, []);
  t.same(Object.fromEntries(c.figures[0].terms), { 'r1:respect': 0.5, 'r1:listening': 0.5, 'r2:respect': 0.5, 'r2:listening': 0.5 });
});

t.test('a figure that does not match its records is reported (perturbation off)', async (t) => {
  const c = new Collector(shape, null, ['a']);
  c.cell(stored, 'July respect', ['a'], '2026-07-01', '2026-07-31', { kind: 'measure', measure: 'respect' }, { n: 2, mean: 50 }, 0);
  t.equal(c.mismatches.length, 1);
});

t.test('a hidden cell of 1–9 responses becomes a candidate group', async (t) => {
  const c = new Collector(shape, null, ['a']);
  c.cell(stored, 'July respect', ['a'], '2026-07-01', '2026-07-31', { kind: 'measure', measure: 'respect' }, { n: null, mean: null, suppressed: true }, 0);
  t.same(c.candidates, [{ how: 'hidden: July respect', measure: 'respect', records: ['r1', 'r2', 'r3'] }]);
  t.equal(c.figures.length, 0);
});

t.test('protected: one noise unknown per atom version; re-reads share it, a changed atom gets a new one', async (t) => {
  const c = new Collector(shape, { sum: 10, count: 1 }, ['a']);
  const respect = { kind: 'measure', measure: 'respect' } as const;
  const read = (phase: Phase, label: string) =>
    c.cell(phase, label, ['a'], '2026-07-01', '2026-07-31', respect, cellOf(phase.live.map((r) => r.items.get('respect')!)), 0);
  read(stored, 'July');
  read(stored, 'July again');
  t.equal(c.figures.length, 1, 'the same atom version read twice is one figure');
  const after: Phase = { name: 'after one submission', live: [...july, record(4, '2026-07-30', 1)] };
  read(after, 'July after');
  t.equal(c.figures.length, 2);
  const [before, later] = c.figures.map((f) => f.noise.map((n) => n.id));
  t.same(before, ['m:respect|a|2026-07#1,2,3']);
  t.same(later, ['m:respect|a|2026-07#1,2,3,4']);
  // Differencing the two versions leaves the new response behind noise of √2·σ.
  const posterior = solve(c.figures, () => ({ mean: 50, variance: 1000 ** 2 }));
  t.ok(Math.abs(posterior.sd(new Map([['r4:respect', 1]])) - 10 * Math.SQRT2) < 0.01);

  // Part of a month is not a union of atoms: kept exact, and listed.
  c.cell(stored, 'early July', ['a'], '2026-07-01', '2026-07-15', respect, { n: 1, mean: 60 }, 0);
  t.same([...c.nonAtom], ['early July']);
  t.same(c.figures.at(-1)!.noise, []);
});

t.test('an answer distribution is the item score sum over those who answered; protected, each point is its own atom', async (t) => {
  const c = new Collector(shape, { sum: 10, count: 1 }, ['a']);
  // r1 answered 8 and r2 answered 2; nobody answered 0.
  const points = [
    { value: 0, count: 0 },
    { value: 2, count: 1 },
    { value: 8, count: 1 },
  ];
  c.distribution(stored, 'July listening', 'a', '2026-07-01', '2026-07-31', 'listening', { n: 2, suppressed: false, points });
  const f = c.figures[0];
  t.equal(f.value, 100);
  t.same(Object.fromEntries(f.terms), { 'r1:listening': 1, 'r2:listening': 1 });
  t.same(
    f.noise.map((n) => [n.id, n.coef]),
    [
      ['i:listening=2|a|2026-07#2', 20],
      ['i:listening=8|a|2026-07#1', 80],
    ],
  );
});

t.test('a demographic split is a union of options: protected, each option has its own atoms', async (t) => {
  const c = new Collector(shape, { sum: 10, count: 1 }, ['a']);
  const people = july.map((r, i) => ({ ...r, choices: new Map([['age_band', ['18_24', '25_34', '65_plus'][i]]]) }));
  const phase: Phase = { name: 'stored', live: people };
  const young = { question: 'age_band', options: ['18_24', '25_34'] };
  c.cell(phase, 'July respect, young', ['a'], '2026-07-01', '2026-07-31', { kind: 'measure', measure: 'respect' }, cellOf([60, 40]), 0, young);
  t.same(Object.fromEntries(c.figures[0].terms), { 'r1:respect': 1, 'r2:respect': 1 });
  t.same(
    c.figures[0].noise.map((n) => n.id),
    ['m:respect:g:age_band=18_24|a|2026-07#1', 'm:respect:g:age_band=25_34|a|2026-07#2'],
  );
  t.same([...c.nonAtom], []);
});

t.test('a distribution with a point under the floor: exact, the shown points sum their records; the rest is a candidate', async (t) => {
  // r1 answered 8 (shown), r2 answered 2 (hidden: fewer than the floor).
  const points = [
    { value: 2, count: null },
    { value: 8, count: 1 },
  ];
  const exact = new Collector(shape, null, ['a']);
  exact.distribution(stored, 'July listening', 'a', '2026-07-01', '2026-07-31', 'listening', { n: 2, suppressed: false, points });
  t.same(Object.fromEntries(exact.figures[0].terms), { 'r1:listening': 1 });
  t.equal(exact.figures[0].value, 80);
  t.same(exact.candidates, [{ how: 'hidden points: July listening', measure: 'listening', records: ['r2'] }]);
  // Perturbed, such a figure is no linear function of scores over a set the attacker knows: left to the count analysis.
  const perturbed = new Collector(shape, { sum: 10, count: 1 }, ['a']);
  perturbed.distribution(stored, 'July listening', 'a', '2026-07-01', '2026-07-31', 'listening', { n: 2, suppressed: false, points });
  t.same(perturbed.figures, []);
  t.same(perturbed.candidates, [{ how: 'hidden points: July listening', measure: 'listening', records: ['r2'] }]);
});

t.test('moved: a figure shown differently in two phases is listed with both values', async (t) => {
  const c = new Collector(shape, null, ['a']);
  const respect = { kind: 'measure', measure: 'respect' } as const;
  const after: Phase = { name: 'after', live: [...july, record(4, '2026-07-30', 1)] };
  c.cell(stored, 'July', ['a'], '2026-07-01', '2026-07-31', respect, { n: 3, mean: 200 / 3 }, 0);
  c.cell(after, 'July', ['a'], '2026-07-01', '2026-07-31', respect, { n: 4, mean: 52.5 }, 0);
  c.cell(stored, 'June', ['a'], '2026-06-01', '2026-06-30', respect, { n: null, mean: null, suppressed: true }, 0);
  c.cell(after, 'June', ['a'], '2026-06-01', '2026-06-30', respect, { n: null, mean: null, suppressed: true }, 0);
  t.same(c.moved('stored', 'after'), ['July: {"n":3,"mean":66.666667} → {"n":4,"mean":52.5}']);
});
