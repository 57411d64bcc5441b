import type { Neighborhood, Question, Survey } from '../db/schema.js';
import type { MessageKey } from '../i18n/en.js';
import { localize, translate } from '../i18n/index.js';
import { DONT_KNOW, MAX_TEXT_LENGTH, fieldName, scalePoints } from './form-schema.js';

export interface FormState {
  values: Record<string, unknown>;
  errors: Map<string, MessageKey>;
}

// Words for the middle points of the 5-point agreement scale (its ends carry the survey's own labels).
const agreeMiddle: Record<number, MessageKey> = { 2: 'form.agree2', 3: 'form.agree3', 4: 'form.agree4' };

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Everything the survey form template shows, already localized, so the template holds no logic. */
export function surveyFormView(
  survey: Survey,
  questions: readonly Question[],
  neighborhoods: readonly Neighborhood[],
  lang: string,
  state: FormState,
  options: { presetNeighborhood?: string; changeNeighborhood: boolean },
) {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
  const errorFor = (field: string) => {
    const key = state.errors.get(field);
    return key ? t(key) : undefined;
  };
  const chosenNeighborhood = str(state.values.neighborhood) || options.presetNeighborhood || '';
  const preset = neighborhoods.find((n) => n.slug === chosenNeighborhood);
  const showNeighborhoodPicker = !preset || options.changeNeighborhood || state.errors.has('neighborhood');

  const questionViews = questions.map((q, index) => {
    const name = fieldName(q);
    const value = str(state.values[name]);
    const id = `field-${q.code}`;
    const base = {
      id,
      name,
      number: index + 1,
      prompt: localize(q.prompt, lang),
      required: q.required,
      error: errorFor(name),
      hintId: `${id}-hint`,
      errorId: `${id}-error`,
      // Error summary links land on the first control of the question.
      anchor: q.kind === 'text' ? id : `${id}-${q.kind === 'scale' ? scalePoints(q)[0] : (q.options?.[0]?.value ?? '')}`,
    };
    if (q.kind === 'scale') {
      const points = scalePoints(q);
      const minLabel = localize(q.minLabel, lang);
      const maxLabel = localize(q.maxLabel, lang);
      const fivePoint = q.scale === 'agree5';
      return {
        ...base,
        isScale: true,
        scaleClass: fivePoint ? 'scale-five' : 'scale-eleven',
        hint: t('form.scaleHint', { min: minLabel, max: maxLabel }),
        // 0–10 items show their end labels above the row on wide screens (beside the numbers on phones).
        ends: fivePoint ? undefined : { min: minLabel, max: maxLabel },
        points: points.map((p, i) => {
          const end = i === 0 ? minLabel : i === points.length - 1 ? maxLabel : undefined;
          const base = { value: String(p), id: `${id}-${p}`, checked: value === String(p) };
          // Every option's accessible name says what it means: "0 – Not safe at all", "7 out of 10", "Disagree".
          if (fivePoint) return { ...base, shown: end ?? t(agreeMiddle[p]) };
          if (end === undefined) return { ...base, shown: String(p), meaning: ` ${t('form.pointOf', { max: points.length - 1 })}`, meaningHidden: true };
          // End labels usually start with their number ("0 – Not safe at all"); show the number once.
          const words = end.replace(new RegExp(`^\\s*${p}\\s*[–—-]?\\s*`), '');
          return { ...base, shown: String(p), meaning: words ? ` – ${words}` : undefined, endMeaning: true };
        }),
        dontKnow: q.allowDontKnow ? { value: DONT_KNOW, id: `${id}-dk`, checked: value === DONT_KNOW, label: t('form.dontKnow') } : undefined,
      };
    }
    if (q.kind === 'choice') {
      return {
        ...base,
        isChoice: true,
        options: (q.options ?? []).map((o) => ({ value: o.value, id: `${id}-${o.value}`, label: localize(o.label, lang), checked: value === o.value })),
      };
    }
    return { ...base, isText: true, value, maxLength: MAX_TEXT_LENGTH, hint: t('form.textHint') };
  });

  const errorList = [
    ...(state.errors.has('neighborhood') ? [{ href: '#field-neighborhood', message: errorFor('neighborhood') }] : []),
    ...questionViews.filter((q) => q.error).map((q) => ({ href: `#${q.anchor}`, message: `${q.number}. ${q.prompt} — ${q.error}` })),
  ];

  return {
    title: localize(survey.title, lang),
    intro: localize(survey.intro, lang),
    slug: survey.slug,
    questions: questionViews,
    neighborhood: {
      error: errorFor('neighborhood'),
      showPicker: showNeighborhoodPicker,
      preset: preset && !showNeighborhoodPicker ? { slug: preset.slug, name: preset.name } : undefined,
      options: neighborhoods.map((n) => ({ slug: n.slug, name: n.name, selected: n.slug === chosenNeighborhood })),
    },
    errorList,
    hasErrors: errorList.length > 0,
  };
}
