import type { SurveyTheme } from '../db/schema.js';

/** Lowercase without accents, so "Policía" and "policia" are one word. */
const unaccented = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();

// Common English and Spanish words, and words of this survey's domain ("police", "bad", "call", "near",
// "neighborhood"…), that say nothing about the issue named. Written as typed; compared without accents.
const stopWords = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers him his how i
  if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own
  same she should so some such than that the their theirs them then there these they this those through to too under
  until up very was we were what when where which while who whom why will with would you your yours get got lot lots
  also really much many people thing things like dont don't im i'm it's need needs want wants something happens show
  police cop cops officer officers department dept pd bad worse worst call calls calling called near nearby around
  neighborhood neighbourhood neighborhoods area areas community city issue issues problem problems number one think
  please better good make makes see still even always never every everyone everything someone anything nothing keep
  go going come comes coming take dealt handle address addressed help whole sure maybe know able
  al algo algunas algunos ante antes como cómo con contra cual cuando de del desde donde durante e el ella ellas ellos en
  entre era es esa esas ese eso esos esta estaba estado estamos estan están estar este esto estos estoy fue fueron ha hace
  hay la las le les lo los mas más me mi mis muy mucho muchos mucha muchas nada ni no nos nosotros o otra otras otro otros
  para pero poco por porque que qué se sea ser si sí sin sobre son su sus también tan tanto te tiene tienen todo todos
  tu tus un una uno unos y ya yo policía policia policías policias agente agentes oficial oficiales malo mala malos malas
  peor llamar llamamos llamo llamé llamada llamadas cerca alrededor barrio barrios vecindario vecindarios colonia zona
  comunidad ciudad problema problemas número numero gente personas mejor mejorar hacer siempre nunca cada favor quiero
  queremos necesitamos necesita creo pasa`
    .split(/\s+/)
    .map(unaccented),
);

/** Short words joining two words of a phrase: "venta de drogas", "lack of lighting". */
const connectors = new Set(['de', 'del', 'of', 'en', 'para', 'con', 'for', 'a', 'al']);

/** A theme is shown only when this many answers use it, so one resident's unusual words never appear. */
export const MIN_THEME_ANSWERS = 5;

export interface Theme {
  term: string;
  /** Answers that use the word or phrase. */
  answers: number;
}

/** What the classifier needs of an admin-defined theme. */
export type ThemeDefinition = Pick<SurveyTheme, 'id' | 'code' | 'label' | 'keywords'>;

interface Token {
  /** As typed, in lowercase (accents kept), for showing. */
  surface: string;
  /** Without accents, for stop words. */
  plain: string;
  /** Without accents and plural endings, for matching and counting. */
  key: string;
}

/**
 * Folds English and Spanish plurals onto the singular's key: -ies to -y, -ses to -s, else a final s (not ss),
 * then a final e, so drugs/drug, drogas/droga, jóvenes/joven, buses/bus, businesses/business and calles/calle
 * agree. Words of three letters are kept whole (bus, gas).
 */
export function fold(word: string): string {
  let w = unaccented(word);
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 4 && w.endsWith('ses')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

// Every view of a page splits the same answers into words again: the words of recent texts are kept (tokens are never
// changed by their readers), up to a bound so that memory does not grow with the answers.
const tokensOfText = new Map<string, readonly Token[]>();
const MAX_TOKENIZED_TEXTS = 20_000;

/** Words of a text; apostrophes inside words are dropped (don't → dont), hyphenated words kept whole (break-ins). */
function tokenize(text: string): readonly Token[] {
  let tokens = tokensOfText.get(text);
  if (!tokens) {
    if (tokensOfText.size >= MAX_TOKENIZED_TEXTS) tokensOfText.clear();
    tokensOfText.set(text, (tokens = splitWords(text)));
  }
  return tokens;
}

function splitWords(text: string): Token[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^\p{L}\p{M}\p{N}-]+/u)
    .map((w) => w.replace(/^-+|-+$/g, ''))
    .filter((w) => w !== '')
    .map((surface) => {
      const parts = surface.split(/-+/).map(unaccented);
      // A hyphenated word's key is its parts' keys, so "break-in" matches "break in" and "break-ins" (a short last part folds too).
      const last = parts.length - 1;
      const key = parts.map((p, i) => (i > 0 && i === last && /^.[^s]s$/.test(p) ? p.slice(0, -1) : fold(p))).join(' ');
      return { surface, plain: parts.join('-'), key };
    });
}

/** A stop word, or the plural of one (calls, barrios). */
const isStop = ({ plain }: Token) => stopWords.has(plain) || (plain.endsWith('s') && stopWords.has(plain.slice(0, -1)));
const countable = (t: Token) => t.plain.length > 2 && !/^\d+$/.test(t.plain) && !isStop(t);

/** The words of a keyword as the classifier compares them, joined by single spaces. */
const keywordKey = (keyword: string) =>
  tokenize(keyword)
    .map((t) => t.key)
    .join(' ');

/** A classifier for a set of themes: keywords of every language, compared as whole words, accents and plurals folded. */
function classifier(definitions: readonly ThemeDefinition[]) {
  const compiled = definitions.map((d) => ({
    id: d.id,
    keys: [...new Set(Object.values(d.keywords).flat().map(keywordKey))].filter((k) => k !== ''),
  }));
  return (text: string): number[] => {
    const padded = ` ${tokenize(text)
      .map((t) => t.key)
      .join(' ')} `;
    return compiled.filter((c) => c.keys.some((k) => padded.includes(` ${k} `))).map((c) => c.id);
  };
}

/** Ids of the themes whose keywords (in any of its languages; a keyword may be a phrase) occur in the text. */
export function themesOf(text: string, definitions: readonly ThemeDefinition[]): number[] {
  return classifier(definitions)(text);
}

export interface ThemeCount {
  id: number;
  code: string;
  label: ThemeDefinition['label'];
  /** Answers naming the theme; an answer counts once in each theme it names. */
  answers: number;
}

/**
 * Answers (distinct texts with their counts) per admin-defined theme, most named first (ties in the admin's
 * order), and those naming no theme: `other` counts them and `otherTexts` lists them for the word list.
 */
export function countThemes(
  texts: readonly { text: string; n: number }[],
  definitions: readonly ThemeDefinition[],
): { themes: ThemeCount[]; other: number; answers: number; otherTexts: { text: string; n: number }[] } {
  const classify = classifier(definitions);
  const counts = new Map(definitions.map((d) => [d.id, 0]));
  const otherTexts: { text: string; n: number }[] = [];
  let answers = 0;
  for (const entry of texts) {
    answers += entry.n;
    const ids = classify(entry.text);
    if (ids.length === 0) otherTexts.push(entry);
    for (const id of ids) counts.set(id, counts.get(id)! + entry.n);
  }
  const themes = definitions
    .map((d) => ({ id: d.id, code: d.code, label: d.label, answers: counts.get(d.id)! }))
    .map((c, position) => ({ c, position }))
    .sort((a, b) => b.c.answers - a.c.answers || a.position - b.position)
    .map(({ c }) => c);
  return { themes, other: otherTexts.reduce((acc, e) => acc + e.n, 0), answers, otherTexts };
}

/** Adds an answer's weight to each term once, remembering how the term was most often written. */
function tally(counts: Map<string, { answers: number; forms: Map<string, number> }>, terms: Map<string, string>, n: number) {
  for (const [key, surface] of terms) {
    const entry = counts.get(key) ?? { answers: 0, forms: new Map<string, number>() };
    entry.answers += n;
    entry.forms.set(surface, (entry.forms.get(surface) ?? 0) + n);
    counts.set(key, entry);
  }
}

/**
 * The most common words and phrases (two words, or two joined by "de"/"of"…) among answers given as distinct
 * texts with their counts. Stop words are dropped; accents, case and plurals are folded, so "Drogas" and "droga"
 * are one word, shown as most often written. Each answer counts a term once.
 */
export function topThemes(texts: readonly { text: string; n: number }[], limit = 8): { words: Theme[]; phrases: Theme[] } {
  const wordCounts = new Map<string, { answers: number; forms: Map<string, number> }>();
  const phraseCounts = new Map<string, { answers: number; forms: Map<string, number> }>();
  for (const { text, n } of texts) {
    const { words, phrases } = termsOf(text);
    tally(wordCounts, words, n);
    tally(phraseCounts, phrases, n);
  }
  const top = (counts: typeof wordCounts) =>
    [...counts.values()]
      .filter((c) => c.answers >= MIN_THEME_ANSWERS)
      .map((c) => ({ term: [...c.forms].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0], answers: c.answers }))
      .sort((a, b) => b.answers - a.answers || a.term.localeCompare(b.term))
      .slice(0, limit);
  return { words: top(wordCounts), phrases: top(phraseCounts) };
}

/**
 * The distinct words and phrases of one answer, each keyed by its folded form (accents, case and plurals) with the
 * form as written: an answer counts each term once. Counting per release-grid cell happens in the results code.
 */
export function termsOf(text: string): { words: Map<string, string>; phrases: Map<string, string> } {
  const tokens = tokenize(text);
  const words = new Map<string, string>();
  const phrases = new Map<string, string>();
  tokens.forEach((t, i) => {
    if (!countable(t)) return;
    if (!words.has(t.key)) words.set(t.key, t.surface);
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    if (next && countable(next)) phrases.set(`${t.key} ${next.key}`, `${t.surface} ${next.surface}`);
    else if (next && after && connectors.has(next.plain) && countable(after))
      phrases.set(`${t.key} ${next.key} ${after.key}`, `${t.surface} ${next.surface} ${after.surface}`);
  });
  return { words, phrases };
}

/** The most used terms (with their released answer counts) at or above `minAnswers`, most used first. */
export function topTerms(counts: ReadonlyMap<string, number>, minAnswers: number, limit = 8): Theme[] {
  return [...counts]
    .filter(([, answers]) => answers >= minAnswers)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([term, answers]) => ({ term, answers }));
}
