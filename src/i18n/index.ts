import { dateFormat } from '../dates.js';
import type { LocalizedText } from '../db/schema.js';
import { en, type MessageKey, type Messages } from './en.js';
import { es } from './es.js';

/** Every language the interface is translated into; adding one is a new messages file and a line here. */
export const catalogs: Record<string, { name: string; messages: Messages }> = {
  en: { name: 'English', messages: en },
  es: { name: 'Español', messages: es },
};

export const defaultLanguage = 'en';

export function translate(lang: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = (catalogs[lang] ?? catalogs[defaultLanguage]).messages[key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Picks a text in the wanted language, falling back to English, then to any language present. */
export function localize(text: LocalizedText | null | undefined, lang: string): string {
  if (!text) return '';
  return text[lang] ?? text[defaultLanguage] ?? Object.values(text)[0] ?? '';
}

/** Languages from an Accept-Language header, most preferred first (primary subtags only). */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((l) => l.lang && l.lang !== '*' && Number.isFinite(l.q) && l.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((l) => l.lang);
}

/** The page language: `?lang=`, then the language cookie, then Accept-Language, among those offered. */
export function negotiateLanguage(offered: readonly string[], sources: { query?: string; cookie?: string; acceptLanguage?: string }): string {
  const usable = offered.filter((l) => l in catalogs);
  const candidates = [sources.query, sources.cookie, ...parseAcceptLanguage(sources.acceptLanguage)];
  return (
    candidates.find((c): c is string => !!c && usable.includes(c)) ?? (usable.includes(defaultLanguage) ? defaultLanguage : (usable[0] ?? defaultLanguage))
  );
}

/** Formats an ISO date (YYYY-MM-DD) for people reading the given language. */
export function formatDate(isoDate: string, lang: string): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  return dateFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}
