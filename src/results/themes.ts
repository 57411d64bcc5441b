// Common English and Spanish words that say nothing about the issue named.
const stopWords = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers him his how i
  if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own
  same she should so some such than that the their theirs them then there these they this those through to too under
  until up very was we were what when where which while who whom why will with would you your yours get got lot lots
  also really much many people thing things like dont don't im i'm it's need needs want something happens show
  al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas ellos en entre
  era es esa esas ese eso esos esta estaba estado estamos estan están estar este esto estos estoy fue fueron ha hace hay
  la las le les lo los mas más me mi mis muy mucho muchos nada ni no nos nosotros o otra otras otro otros para pero poco
  por porque que qué se sea ser si sí sin sobre son su sus también tan tanto te tiene tienen todo todos tu tus un una
  uno unos y ya yo`.split(/\s+/),
);

export interface Theme {
  term: string;
  /** Answers that use the word or phrase. */
  answers: number;
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 2 && !/^\d+$/.test(w));
}

/** The distinct content words and two-word phrases of one answer (stop words dropped): each answer counts a term once. */
export function termsOf(text: string): { words: string[]; phrases: string[] } {
  const tokens = words(text);
  const phrases = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!stopWords.has(tokens[i]) && !stopWords.has(tokens[i + 1])) phrases.add(`${tokens[i]} ${tokens[i + 1]}`);
  }
  return { words: [...new Set(tokens.filter((w) => !stopWords.has(w)))], phrases: [...phrases] };
}

/** The most used terms (with their released answer counts) at or above `minAnswers`, most used first. */
export function topTerms(counts: ReadonlyMap<string, number>, minAnswers: number, limit = 8): Theme[] {
  return [...counts]
    .filter(([, answers]) => answers >= minAnswers)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([term, answers]) => ({ term, answers }));
}
