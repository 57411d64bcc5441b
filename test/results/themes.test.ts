import t from 'tap';
import { termsOf, topTerms } from '../../src/results/themes.js';

/** Answers using each term, counting a term once per answer, as the neighborhood page counts them before perturbing. */
function count(answers: { text: string; n: number }[]) {
  const words = new Map<string, number>();
  const phrases = new Map<string, number>();
  for (const { text, n } of answers) {
    const terms = termsOf(text);
    for (const w of terms.words) words.set(w, (words.get(w) ?? 0) + n);
    for (const p of terms.phrases) phrases.set(p, (phrases.get(p) ?? 0) + n);
  }
  return { words, phrases };
}

t.test('words and phrases counted once per answer, stop words dropped in both languages', async (t) => {
  t.same(termsOf('Speeding, speeding near the school'), { words: ['speeding', 'near', 'school'], phrases: ['speeding speeding', 'speeding near'] });
  t.same(
    termsOf('my neighbor at 12 elm street'),
    { words: ['neighbor', 'elm', 'street'], phrases: ['neighbor elm', 'elm street'] },
    'numbers and short words dropped',
  );
  t.same(termsOf(''), { words: [], phrases: [] });

  const { words, phrases } = count([
    { text: 'speeding on the avenue', n: 6 },
    { text: 'Speeding, speeding near the school', n: 5 },
    { text: 'la policía tarda mucho en llegar', n: 12 },
    { text: 'my neighbor at 12 elm street', n: 1 },
  ]);
  t.equal(words.get('speeding'), 11, 'a word used twice in one answer counts that answer once');
  const shown = topTerms(words, 10);
  t.same(shown.slice(0, 2), [
    { term: 'llegar', answers: 12 },
    { term: 'policía', answers: 12 },
  ]);
  t.same(
    shown.map((w) => w.term),
    ['llegar', 'policía', 'tarda', 'speeding'],
    'most used first, ties alphabetical, only terms used by at least the floor (10)',
  );
  t.notOk(
    [...words.keys()].some((w) => ['the', 'la', 'en', 'mucho', 'on'].includes(w)),
    'no stop words',
  );
  t.same(
    topTerms(phrases, 10).map((p) => p.term),
    ['policía tarda'],
    'no phrase across a stop word (tarda mucho en llegar)',
  );
  t.same(
    topTerms(phrases, 5).map((p) => p.term),
    ['policía tarda', 'speeding near', 'speeding speeding'],
    'a lower floor shows more',
  );
  t.equal(topTerms(words, 1, 3).length, 3, 'at most `limit` terms');
  t.same(topTerms(new Map(), 10), []);
});
