import t from 'tap';
import { MIN_THEME_ANSWERS, countThemes, fold, themesOf, topThemes, type ThemeDefinition } from '../../src/results/themes.js';
import { standardThemes } from '../../src/survey/standard-survey.js';

const definitions: ThemeDefinition[] = standardThemes.map((d, i) => ({ id: i + 1, code: d.code, label: d.label, keywords: d.keywords }));
const codesOf = (text: string) => themesOf(text, definitions).map((id) => definitions[id - 1].code);

t.test('plurals fold onto the singular in English and Spanish', async (t) => {
  for (const [a, b] of [
    ['drugs', 'drug'],
    ['drogas', 'droga'],
    ['jóvenes', 'joven'],
    ['ladrones', 'ladrón'],
    ['crashes', 'crash'],
    ['businesses', 'business'],
    ['calles', 'calle'],
    ['robberies', 'robbery'],
    ['Balaceras', 'balacera'],
    ['buses', 'bus'],
    ['houses', 'house'],
    ['addresses', 'address'],
  ])
    t.equal(fold(a), fold(b), `${a} ~ ${b}`);
  t.equal(fold('homeless'), 'homeless', 'a final ss is not a plural');
  t.equal(fold('gas'), 'gas', 'nor the s of a three-letter word');
  t.not(fold('gun'), fold('guns and'), 'only a word folds');
});

t.test('English "drug dealing" and Spanish "venta de drogas" count into the same theme', async (t) => {
  t.same(codesOf('drug dealing'), ['drugs']);
  t.same(codesOf('Venta de drogas cerca del parque'), ['drugs']);
  const counted = countThemes(
    [
      { text: 'drug dealing', n: 479 },
      { text: 'drogas', n: 128 },
    ],
    definitions,
  );
  t.match(counted.themes[0], { code: 'drugs', label: { en: 'Drug dealing', es: 'Venta de drogas' }, answers: 607 });
  t.equal(counted.other, 0);
});

t.test('the classifier: whole words, accents, capitals, plurals and phrases, in both languages', async (t) => {
  t.same(codesOf('DRUGS!'), ['drugs'], 'capitals and plurals');
  t.same(codesOf('Los jovenes no tienen programas'), ['youth'], 'no accent typed, keyword written with one');
  t.same(codesOf('Programas para JÓVENES'), ['youth'], 'accent and capitals typed');
  t.same(codesOf('Balaceras todas las noches'), ['guns'], 'Spanish plural');
  t.same(codesOf('Robos en carros'), ['theft']);
  t.same(codesOf('Car break-ins'), ['theft'], 'a hyphenated keyword, in the plural');
  t.same(codesOf('someone tried to break in -- twice'), ['theft'], 'a hyphenated keyword matches its words written apart');
  t.same(codesOf('people breaking in to cars'), ['theft'], 'a phrase keyword');
  t.same(codesOf('La policía tarda mucho en llegar'), ['response_times']);
  t.same(codesOf('they take forever when we call 911'), ['response_times']);
  t.same(codesOf('Exceso de velocidad en las calles'), ['traffic'], 'a Spanish phrase keyword');
  t.same(codesOf('gangster movies'), [], 'whole words only: "gang" is not found in "gangster"');
  t.same(codesOf('speed'), ['traffic']);
  t.same(codesOf('The speed of the drug trade'), ['drugs', 'traffic'], 'an answer may name several themes');
  t.same(codesOf('Street lighting at night'), [], 'no theme');
  t.same(codesOf(''), []);
  t.same(themesOf('drugs', []), [], 'no themes defined');
  const phraseOnly: ThemeDefinition[] = [{ id: 7, code: 'response', label: { en: 'Response' }, keywords: { en: ['slow response'], es: [] } }];
  t.same(themesOf('Slow responses when we call', phraseOnly), [7], 'a phrase matches with its last word in the plural');
  t.same(themesOf('a response that was slow', phraseOnly), [], "a phrase's words must be together and in order");
});

t.test('countThemes: each answer once per theme, the rest as "other" with their texts for the word list', async (t) => {
  const counted = countThemes(
    [
      { text: 'Drugs and drug dealers, drugs everywhere', n: 3 },
      { text: 'Speeding drug dealers', n: 2 },
      { text: 'Street lighting', n: 4 },
      { text: 'Noise', n: 1 },
    ],
    definitions,
  );
  t.equal(counted.answers, 10);
  t.same(
    counted.themes.filter((c) => c.answers > 0).map((c) => [c.code, c.answers]),
    [
      ['drugs', 5],
      ['traffic', 2],
      ['noise', 1],
    ],
    'most named first; an answer naming a theme three times counts once',
  );
  t.equal(counted.themes.length, definitions.length, 'every theme is listed, even with no answers');
  t.same(
    counted.themes.filter((c) => c.answers === 0).map((c) => c.code),
    definitions.map((d) => d.code).filter((c) => !['drugs', 'traffic', 'noise'].includes(c)),
    "themes with as many answers stay in the admin's order",
  );
  t.equal(counted.other, 4);
  t.same(counted.otherTexts, [{ text: 'Street lighting', n: 4 }]);
  t.same(countThemes([], definitions).other, 0);
});

t.test('words and phrases counted once per answer; stop words, domain words, accents and plurals folded', async (t) => {
  const themes = topThemes(
    [
      { text: 'speeding on the avenue', n: 6 },
      { text: 'Speeding, speeding near the school', n: 5 },
      { text: 'la policía tarda mucho en llegar', n: 7 },
      { text: 'my neighbor at 12 elm street', n: 1 },
      { text: 'Bad police, call them and nothing happens in this neighborhood', n: 40 },
      { text: 'Drogas en el barrio, la policía es mala', n: 9 },
      { text: 'venta de drogas', n: 3 },
      { text: 'Venta de DROGA', n: 2 },
      { text: 'break-ins', n: 3 },
      { text: 'Break-in!', n: 2 },
    ],
    20,
  );
  t.same(themes.words.slice(0, 3), [
    { term: 'drogas', answers: 14 },
    { term: 'speeding', answers: 11 },
    { term: 'llegar', answers: 7 },
  ]);
  const shown = themes.words.map((w) => w.term);
  for (const word of ['bad', 'police', 'call', 'near', 'neighborhood', 'nothing', 'the', 'la', 'en', 'mucho', 'policía', 'barrio', 'mala', 'on'])
    t.notOk(shown.includes(word), `"${word}" says nothing`);
  t.notOk(shown.includes('elm'), `terms used by fewer than ${MIN_THEME_ANSWERS} answers are never shown`);
  t.ok(
    themes.words.some((w) => w.term === 'break-ins' && w.answers === 5),
    'a hyphenated word is one word',
  );
  t.same(
    themes.phrases.map((p) => [p.term, p.answers]),
    [
      ['speeding speeding', 5],
      ['venta de drogas', 5],
    ],
    'two words, or two joined by "de"; plurals and capitals folded, shown as most often written',
  );
  t.same(topThemes([]), { words: [], phrases: [] });
});
