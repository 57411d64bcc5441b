import { dateFormat, numberFormat } from '../dates.js';
import type { MessageKey } from '../i18n/en.js';
import { catalogs, formatDate, translate } from '../i18n/index.js';
import { measureLabel } from '../results/filters.js';
import type { Trends } from '../results/trends.js';
import type { BucketKind } from '../stats/buckets.js';
import type { Cell } from '../stats/cells.js';

/** A period's name for residents: "Mar 2026" / "mar 2026", or "Q1 2026" / "T1 2026". */
export function periodLabel(start: string, bucket: BucketKind, lang: string): string {
  const [year, month] = start.split('-').map(Number);
  if (bucket === 'quarter') return translate(lang, 'public.quarterLabel', { q: Math.floor((month - 1) / 3) + 1, year });
  return dateFormat(lang, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, 1)));
}

/** A measure's name for residents, translated for the standard dimensions. */
export function measureName(measure: string, lang: string): string {
  const key = `measure.${measure}` as MessageKey;
  return key in catalogs.en.messages ? translate(lang, key) : measureLabel(measure);
}

/** The same trends with resident-facing names: period labels and area names in the page's language. */
export function localizeTrends(trends: Trends, lang: string): Trends {
  return {
    ...trends,
    buckets: trends.buckets.map((b) => ({ ...b, label: periodLabel(b.start, trends.bucket, lang) })),
    series: trends.series.map((s) => (s.area === 'city' ? { ...s, name: translate(lang, 'public.city') } : s)),
  };
}

export const localDate = formatDate;

/**
 * One plain sentence comparing a neighborhood's latest trust score with the city's, from shown figures only: "higher"
 * or "lower" only when the neighborhood's 95% interval leaves out the city's figure.
 */
export function comparisonSentence(lang: string, area: string, own: Cell, city: Cell): string {
  if (own.suppressed || own.mean === null || own.ci_low === null || own.ci_high === null) return translate(lang, 'public.summaryNotEnough', { area });
  const whole = numberFormat(lang, { maximumFractionDigits: 0 });
  const params = { area, mean: whole.format(own.mean), low: whole.format(own.ci_low), high: whole.format(own.ci_high) };
  if (city.suppressed || city.mean === null) return translate(lang, 'public.summaryAlone', params);
  const key = own.ci_low > city.mean ? 'public.summaryHigher' : own.ci_high < city.mean ? 'public.summaryLower' : 'public.summaryClose';
  return translate(lang, key, { ...params, city: whole.format(city.mean) });
}
