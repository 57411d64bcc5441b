import type { LocalizedText, NewQuestion, Question, Survey } from '../db/schema.js';

/** The fields of a question an admin edits (everything but its survey and position). */
export type QuestionFields = Omit<NewQuestion, 'id' | 'surveyId' | 'position'>;

export interface MissingText {
  /** What is missing, e.g. "Title (es)" or "Question 2, respect: prompt (es)". */
  message: string;
  /** Where to write it. */
  href: string;
}

/** Every resident-facing text not yet written in one of the survey's languages; a survey opens only without any. */
export function missingTexts(survey: Survey, questions: readonly Question[]): MissingText[] {
  const missing: MissingText[] = [];
  const check = (text: LocalizedText | null | undefined, label: string, href: (lang: string) => string) => {
    for (const lang of survey.languages) if (!text?.[lang]?.trim()) missing.push({ message: `${label} (${lang})`, href: href(lang) });
  };
  check(survey.title, 'Title', (l) => `#field-title_${l}`);
  check(survey.intro, 'Introduction', (l) => `#field-intro_${l}`);
  if (questions.length === 0) missing.push({ message: 'At least one question', href: `/admin/surveys/${survey.id}/questions/new` });
  questions.forEach((q, i) => {
    const edit = (field: string) => (l: string) => `/admin/surveys/${survey.id}/questions/${q.id}/edit#field-${field}_${l}`;
    const name = `Question ${i + 1}, ${q.code}`;
    check(q.prompt, `${name}: prompt`, edit('prompt'));
    if (q.kind === 'scale') {
      check(q.minLabel, `${name}: label of the lowest point`, edit('min_label'));
      check(q.maxLabel, `${name}: label of the highest point`, edit('max_label'));
    }
    (q.options ?? []).forEach((o, j) => check(o.label, `${name}: option "${o.value}"`, edit(`option_label_${j}`)));
  });
  return missing;
}

const DUPLICATE_HINT =
  'This survey already has responses, so this would change what they mean or the figures computed from them. Duplicate the survey and change the copy instead.';

/** Which changes to a question are refused once its survey has responses; wording, required and "don't know" stay free. */
export function refusedChanges(
  before: Question | null,
  after: QuestionFields,
  usage: { surveyHasResponses: boolean; optionValuesInUse: readonly string[] },
): Record<string, string> {
  if (!usage.surveyHasResponses) return {};
  const refused: Record<string, string> = {};
  if (!before) {
    if (after.dimension || after.inTrustScore)
      refused[after.dimension ? 'dimension' : 'in_trust_score'] = `A new question cannot join a dimension or the trust score. ${DUPLICATE_HINT}`;
    return refused;
  }
  const locked: [keyof QuestionFields, string, string][] = [
    ['code', 'code', 'the code'],
    ['kind', 'kind', 'the kind of question'],
    ['scale', 'scale', 'the scale'],
    ['dimension', 'dimension', 'the dimension'],
    ['reverseScored', 'reverse_scored', 'reverse scoring'],
    ['inTrustScore', 'in_trust_score', 'membership of the trust score'],
  ];
  for (const [key, field, label] of locked) {
    if ((before[key] ?? null) !== (after[key] ?? null)) refused[field] = `You cannot change ${label}. ${DUPLICATE_HINT}`;
  }
  const kept = new Set((after.options ?? []).map((o) => o.value));
  const removed = usage.optionValuesInUse.filter((v) => !kept.has(v));
  if (removed.length > 0) refused.options = `Options already chosen by respondents cannot be removed or renamed: ${removed.join(', ')}. ${DUPLICATE_HINT}`;
  return refused;
}

/** Why a question cannot be removed, if it cannot. */
export function removalRefusal(question: Question, usage: { surveyHasResponses: boolean; answers: number }): string | undefined {
  if (usage.answers > 0) return `Question ${question.code} has ${usage.answers} answers and cannot be removed. ${DUPLICATE_HINT}`;
  if (usage.surveyHasResponses && (question.dimension || question.inTrustScore)) {
    return `Question ${question.code} is part of a score already computed for responses and cannot be removed. ${DUPLICATE_HINT}`;
  }
  return undefined;
}
