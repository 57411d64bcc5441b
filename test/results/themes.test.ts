import t from 'tap';
import { MIN_THEME_ANSWERS, topThemes } from '../../src/results/themes.js';

t.test('words and phrases counted once per answer, stop words dropped in both languages', async (t) => {
  const themes = topThemes([
    { text: 'speeding on the avenue', n: 6 },
    { text: 'Speeding, speeding near the school', n: 5 },
    { text: 'la policía tarda mucho en llegar', n: 7 },
    { text: 'my neighbor at 12 elm street', n: 1 },
  ]);
  t.same(themes.words.slice(0, 2), [
    { term: 'speeding', answers: 11 },
    { term: 'llegar', answers: 7 },
  ]);
  t.notOk(
    themes.words.some((w) => ['the', 'la', 'en', 'mucho', 'on'].includes(w.term)),
    'no stop words',
  );
  t.notOk(
    themes.words.some((w) => w.term === 'elm'),
    `terms used by fewer than ${MIN_THEME_ANSWERS} answers are never shown`,
  );
  t.same(
    themes.phrases.map((p) => p.term),
    ['policía tarda', 'speeding near', 'speeding speeding'],
  );
  t.same(topThemes([]), { words: [], phrases: [] });
});
