import t from 'tap';
import type { Question } from '../../src/db/schema.js';
import { measuresOf, respondentScores, scalePointTo100, scaleScore, TRUST_MEASURE } from '../../src/stats/scoring.js';

t.test('scale points map linearly to 0–100', async (t) => {
  t.equal(scalePointTo100(0, '0-10', false), 0);
  t.equal(scalePointTo100(7, '0-10', false), 70);
  t.equal(scalePointTo100(10, '0-10', false), 100);
  t.same(
    [1, 2, 3, 4, 5].map((v) => scalePointTo100(v, 'agree5', false)),
    [0, 25, 50, 75, 100],
  );
  t.equal(scalePointTo100(2, 'agree5', true), 75);
  t.equal(scalePointTo100(3, '0-10', true), 70);
});

t.test('a scale is scored only when more than half its items are answered', async (t) => {
  t.equal(scaleScore([80, null]), null, 'one of two is not more than half');
  t.equal(scaleScore([80, 60]), 70);
  t.equal(scaleScore([80, 60, null]), 70, 'two of three');
  t.equal(scaleScore([80, null, null]), null, 'one of three');
  t.equal(scaleScore([40]), 40, 'single item');
  t.equal(scaleScore([null]), null);
  t.equal(scaleScore([]), null);
});

const q = (id: number, over: Partial<Question>): Question => ({
  id,
  surveyId: 1,
  position: id,
  code: `q${id}`,
  kind: 'scale',
  prompt: { en: '' },
  required: false,
  scale: '0-10',
  minLabel: null,
  maxLabel: null,
  allowDontKnow: true,
  dimension: null,
  reverseScored: false,
  inTrustScore: false,
  options: null,
  ...over,
});

t.test('respondent scores per dimension and for the trust set', async (t) => {
  const questions = [
    q(1, { dimension: 'respect', inTrustScore: true }),
    q(2, { dimension: 'listening', inTrustScore: true }),
    q(3, { dimension: 'fairness', scale: 'agree5' }),
    q(4, { dimension: 'fairness', scale: 'agree5', reverseScored: true }),
    q(5, { kind: 'text', scale: null }),
  ];
  const measures = measuresOf(questions);
  t.same([...measures.keys()].sort(), ['fairness', 'listening', 'respect', TRUST_MEASURE]);

  const all = respondentScores(
    measures,
    new Map([
      [1, 8],
      [2, 5],
      [3, 4],
      [4, 4],
    ]),
  );
  t.equal(all.get(TRUST_MEASURE), 65, 'mean of 80 and 50');
  t.equal(all.get('fairness'), 50, '75 and reversed 25');

  // Respect only ("don't know" on listening is stored as no value): trust needs more than half, so none.
  const partial = respondentScores(measures, new Map([[1, 9]]));
  t.equal(partial.get('respect'), 90);
  t.notOk(partial.has(TRUST_MEASURE));
  t.notOk(partial.has('listening'));
});
