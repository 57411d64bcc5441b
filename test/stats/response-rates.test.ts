import t from 'tap';
import { completesAndPartials, estimatedEligibility, isComplete, responseRates } from '../../src/stats/response-rates.js';

t.test('a complete answers at least 80% of the scale items, a partial fewer', async (t) => {
  t.ok(isComplete(6, 7), '6 of 7 = 86%');
  t.notOk(isComplete(5, 7), '5 of 7 = 71%');
  t.ok(isComplete(4, 5), 'exactly 80%');
  t.notOk(isComplete(3, 5));
  t.ok(isComplete(8, 10));
  t.notOk(isComplete(7, 10));
  t.same(
    completesAndPartials(
      [
        { answered: 0, responses: 2 },
        { answered: 5, responses: 3 },
        { answered: 6, responses: 10 },
        { answered: 7, responses: 20 },
      ],
      7,
    ),
    { complete: 30, partial: 5 },
  );
});

t.test('RR1 and RR3 match hand-computed values', async (t) => {
  // N = 400, NE = 20, I = 70, P = 10. RR1 = 70 / 380 = 0.184211. e estimated = 80 / 100 = 0.8;
  // unknown = 400 − 20 − 70 − 10 = 300; RR3 = 70 / (80 + 0.8 × 300) = 70 / 320 = 0.21875.
  const d = { invitations: 400, notEligible: 20, complete: 70, partial: 10 };
  t.equal(estimatedEligibility(d), 0.8);
  const estimated = responseRates(d);
  t.equal(estimated.unknown, 300);
  t.equal(estimated.eligibleOrUnknown, 380);
  t.equal(estimated.rr1!.toFixed(6), '0.184211');
  t.equal(estimated.rr3, 0.21875);
  t.equal(estimated.e, 0.8);
  // A stated e = 0.5: RR3 = 70 / (80 + 150) = 0.304348.
  const stated = responseRates(d, 0.5);
  t.equal(stated.rr3!.toFixed(6), '0.304348');
  t.equal(stated.rr1, estimated.rr1, 'RR1 does not depend on e');
  // e = 1 makes RR3 RR1.
  t.equal(responseRates(d, 1).rr3, estimated.rr1);
});

t.test('edge cases: nothing resolved, nothing eligible, impossible counts', async (t) => {
  const none = { invitations: 50, notEligible: 0, complete: 0, partial: 0 };
  t.equal(estimatedEligibility(none), null);
  t.same(responseRates(none), { eligibleOrUnknown: 50, unknown: 50, rr1: 0, rr3: 0, e: 1 });
  const allReturned = { invitations: 5, notEligible: 5, complete: 0, partial: 0 };
  t.same(responseRates(allReturned), { eligibleOrUnknown: 0, unknown: 0, rr1: null, rr3: null, e: 0 });
  t.throws(() => responseRates({ invitations: 5, notEligible: 3, complete: 3, partial: 0 }), RangeError);
});
