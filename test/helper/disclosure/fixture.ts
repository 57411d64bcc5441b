import type { FastifyInstance } from 'fastify';
import { addDays } from '../../../src/dates.js';
import type { MarginRow } from '../../../src/margins/queries.js';
import { seedResponses, type SeedResponse } from '../admin.js';
import { addNeighborhoods } from '../app.js';

/** Deterministic pseudo-random numbers (mulberry32), so every run attacks the same data. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

export const FIXTURE_DAYS = 180;
const scale010 = ['safety', 'respect', 'listening', 'confidence'];
const agree5 = ['fairness', 'reliability', 'responsiveness'];
const choices: Record<string, string[]> = {
  age_band: ['18_24', '25_34', '35_44', '45_54', '55_64', '65_plus', 'prefer_not'],
  gender: ['woman', 'man', 'another', 'prefer_not'],
  race_ethnicity: ['black', 'hispanic', 'white', 'asian', 'native', 'other', 'prefer_not'],
  years_in_neighborhood: ['under_1', '1_4', '5_9', '10_plus', 'prefer_not'],
};
const issues = ['speeding cars at night', 'break-ins on our block', 'slow response to calls', 'drug dealing near the park', 'noise'];

/**
 * One resident's answers: most items answered, some "don't know" or skipped, demographics often skipped. At a kiosk
 * (outreach at a community center) nearly everyone gives a gender, so its groups can reach the floor.
 */
function answers(random: ReturnType<typeof seeded>, kiosk = false): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const code of scale010) if (random.next() < 0.9) out[code] = random.int(0, 10);
  for (const code of agree5) if (random.next() < 0.85) out[code] = random.int(1, 5);
  for (const [code, values] of Object.entries(choices))
    if (kiosk && code === 'gender') out[code] = random.next() < 0.93 ? random.pick(['woman', 'man']) : 'another';
    else if (random.next() < 0.8) out[code] = random.pick(values);
  if (random.next() < 0.5) out.top_issue = random.pick(issues);
  return out;
}

/**
 * A sparse city at Chicago-like volume: two neighborhoods over the last 180 days, ~10–20 responses per
 * neighborhood-month and some months with only 2–9, plus two kiosk days (event outreach) that bring a dozen answers
 * at once — one of them on a month's last day. Stored through the real recorder (scores, rollups).
 */
export async function seedSparseCity(app: FastifyInstance, today: string, seed = 12) {
  const random = seeded(seed);
  const [north, south] = await addNeighborhoods(app.store, 'North Park', 'South Shore');
  const first = addDays(today, 1 - FIXTURE_DAYS);
  const rows: SeedResponse[] = [];
  // Responses per calendar month touched by the range, per neighborhood; small months are on purpose.
  const perMonth = { [north.id]: [12, 6, 17, 14, 3, 15, 11], [south.id]: [15, 18, 4, 12, 19, 8, 13] };
  const months: string[] = [];
  for (let d = first; d <= today; d = addDays(d, 1)) if (!months.includes(d.slice(0, 7))) months.push(d.slice(0, 7));
  for (const [id, counts] of Object.entries(perMonth)) {
    months.forEach((month, i) => {
      const days: string[] = [];
      for (let d = first; d <= today; d = addDays(d, 1)) if (d.startsWith(month)) days.push(d);
      for (let k = 0; k < counts[i % counts.length]; k++) rows.push({ neighborhoodId: Number(id), submittedOn: random.pick(days), answers: answers(random) });
    });
  }
  // Kiosk days: North Park on two days a month apart (22 and 24 answers), South Shore on the last day of a month (11).
  const kioskNorth = addDays(first, 60);
  let monthEnd = addDays(first, 100);
  while (addDays(monthEnd, 1).slice(8) !== '01') monthEnd = addDays(monthEnd, 1);
  const kiosk = (neighborhoodId: number, day: string, n: number) => {
    for (let k = 0; k < n; k++) rows.push({ neighborhoodId, submittedOn: day, channel: 'kiosk', answers: answers(random, true) });
  };
  kiosk(north.id, kioskNorth, 22);
  kiosk(north.id, addDays(kioskNorth, 31), 24);
  kiosk(south.id, monthEnd, 11);
  await seedResponses(app, rows);
  return { north, south, first, random };
}

/**
 * Census margins for the sparse city, far from its sample (which answers every option alike): many young and Black
 * residents, few Native or Asian ones. Raking then gives varied weights, the young Black respondents' several times
 * the mean and some trimmed at its cap (5 × the mean); `scale` sizes the neighborhood.
 */
export function sparseCityMargins(neighborhoodId: number, scale = 1): MarginRow[] {
  const census: Record<string, Record<string, number>> = {
    age_band: { '18_24': 5600, '25_34': 4400, '35_44': 3000, '45_54': 2200, '55_64': 1600, '65_plus': 1200 },
    gender: { woman: 9200, man: 8800 },
    race_ethnicity: { black: 8400, hispanic: 5200, white: 2800, asian: 900, native: 200, other: 500 },
  };
  return Object.entries(census).flatMap(([questionCode, counts]) =>
    Object.entries(counts).map(([optionValue, count]) => ({
      neighborhoodId,
      questionCode,
      optionValue,
      count: Math.round(count * scale),
      source: 'test census',
      year: 2023,
    })),
  );
}

/** Answers for the live steps (one submission, an import), drawn from the same generator. */
export const freshAnswers = answers;
