import { createRandom, type Random } from '../src/demo/random.js';

/** A benchmark city of `count` neighborhoods with uneven response volumes. */
export const benchCity = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    slug: `district-${String(i + 1).padStart(2, '0')}`,
    name: `District ${i + 1}`,
    weight: 1 + (i % 5) * 0.5,
    trust: 3.5 + ((i * 7) % 11) * 0.3,
  }));

export type BenchNeighborhood = ReturnType<typeof benchCity>[number];

/** The city of 40 neighborhoods the submission baselines' test uses. */
export const benchNeighborhoods = benchCity(40);

export const scaleCodes = ['safety', 'respect', 'listening', 'confidence'] as const;
export const agreeCodes = ['fairness', 'reliability', 'responsiveness'] as const;
export const choiceAnswers: Record<string, string[]> = {
  age_band: ['18_24', '25_34', '35_44', '45_54', '55_64', '65_plus', 'prefer_not'],
  gender: ['woman', 'man', 'another', 'prefer_not'],
  race_ethnicity: ['black', 'hispanic', 'white', 'asian', 'native', 'other', 'prefer_not'],
  years_in_neighborhood: ['under_1', '1_4', '5_9', '10_plus', 'prefer_not'],
};
const issues = [
  'Speeding on the main road',
  'Break-ins to parked cars',
  'Street lighting at night',
  'Slow response when we call',
  'Drug dealing near the park',
];

export type FormAnswers = Record<string, string>;

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(v)));

/** One resident's answers as form fields (`q_<code>`): about 10 of the 12 questions answered, ~4% skipped per item. */
export function residentAnswers(random: Random, trust: number): FormAnswers {
  const answers: FormAnswers = {};
  const personal = trust + random.normal(0, 1.6);
  for (const code of scaleCodes) if (random.next() >= 0.04) answers[`q_${code}`] = String(clamp(personal + random.normal(0, 1.2), 0, 10));
  for (const code of agreeCodes) if (random.next() >= 0.04) answers[`q_${code}`] = String(clamp(1 + (personal / 10) * 4 + random.normal(0, 0.6), 1, 5));
  if (random.next() < 0.35) answers.q_top_issue = random.pick(issues);
  for (const [code, options] of Object.entries(choiceAnswers)) if (random.next() < 0.92) answers[`q_${code}`] = random.pick(options);
  return answers;
}

/** Valid, varied survey form bodies (urlencoded) for the submission load, spread over the city's neighborhoods. */
export function submissionBodies(count: number, seed: number, neighborhoods: readonly BenchNeighborhood[] = benchNeighborhoods): string[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    const n = random.pick(neighborhoods);
    return new URLSearchParams({ neighborhood: n.slug, ...residentAnswers(random, n.trust) }).toString();
  });
}
