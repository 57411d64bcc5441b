/** PostgreSQL's text form of a timestamptz ('2026-03-17 09:30:00.5+00') as the app writes moments on SQLite ('2026-03-17T09:30:00.500Z'). */
export const isoMoment = (text: string) =>
  new Date(text.replace(' ', 'T').replace(/([+-]\d\d)(?::?(\d\d))?$/, (_, hours: string, minutes = '00') => `${hours}:${minutes}`)).toISOString();
