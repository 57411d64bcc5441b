import { eq } from 'drizzle-orm';
import { hashPassword } from '../auth/passwords.js';
import { addDays } from '../dates.js';
import type { Question } from '../db/schema.js';
import { first, type Store } from '../db/store.js';
import { createWeightingRepository } from '../weighting/queries.js';
import { createWeightingRunner } from '../weighting/runner.js';
import { createSurveyRepository } from '../survey/queries.js';
import { createResponseRecorder, type AnswerValue, type NewResponse } from '../survey/response-recorder.js';
import { standardSurvey } from '../survey/standard-survey.js';
import { codeHash, newCodes } from '../mailings/codes.js';
import { createRandom, type Random } from './random.js';

export interface DemoOptions {
  seed: number;
  /** The last day with responses (YYYY-MM-DD); the data covers the 24 months ending in its month. */
  asOf: string;
  /**
   * Responses as a multiple of Chicago's rate (about 0.7 a month per 1,000 residents, ~120 a month for Riverton):
   * 1 by default, as real departments get; 20 is the dense city earlier demos showed.
   */
  volume?: number;
  /** Tests only: responses per neighborhood per day, before each neighborhood's own weight (overrides `volume`). */
  dailyRate?: number;
  /** scrypt cost for the demo passwords. */
  passwordCost: number;
  /** The deployment's time zone (TIME_ZONE), whose date bounds the months marked for weighting; UTC when not given. */
  timeZone?: string;
}

export const demoStaff = [
  { email: 'admin@riverton.example', password: 'riverton-admin-demo', role: 'admin' as const },
  { email: 'liaison@riverton.example', password: 'riverton-liaison-demo', role: 'liaison' as const },
];

interface DemoNeighborhood {
  slug: string;
  name: string;
  population: number;
  /** Relative response volume. */
  weight: number;
  /** Baseline trust on the 0–10 answer scale. */
  trust: number;
  safety: number;
  issues: string[];
  /** Residents 18 and over: what the census margins below add up to (the survey asks adults). */
  adults: number;
  /** Census-like shares of adults, in percent: age bands 18_24 … 65_plus, then woman/man, then black, hispanic, white, asian, native, other. */
  census: { age: number[]; gender: number[]; race: number[] };
}

const demoNeighborhoods: DemoNeighborhood[] = [
  {
    slug: 'northgate',
    name: 'Northgate',
    population: 24100,
    weight: 1.0,
    trust: 6.4,
    safety: 6.8,
    issues: ['Speeding on Northgate Avenue', 'Break-ins to parked cars', 'Street lighting at night'],
    adults: 18800,
    census: { age: [11, 18, 18, 16, 16, 21], gender: [51.5, 48.5], race: [18, 15, 55, 7, 1, 4] },
  },
  {
    slug: 'riverside',
    name: 'Riverside',
    population: 31800,
    weight: 1.2,
    trust: 4.6,
    safety: 5.1,
    issues: ['Drug dealing near the park', 'Slow response when we call', 'Police only show up after something bad happens'],
    adults: 23500,
    census: { age: [14, 21, 17, 15, 15, 18], gender: [51, 49], race: [42, 33, 17, 4, 1, 3] },
  },
  {
    slug: 'old-town',
    name: 'Old Town',
    population: 12900,
    weight: 0.7,
    trust: 6.9,
    safety: 7.2,
    issues: ['Noise from bars at night', 'Bike theft', 'Parking enforcement'],
    adults: 11000,
    census: { age: [16, 27, 17, 13, 12, 15], gender: [49, 51], race: [14, 12, 60, 10, 1, 3] },
  },
  {
    slug: 'eastwood',
    name: 'Eastwood',
    population: 27400,
    weight: 1.0,
    trust: 5.6,
    safety: 6.0,
    issues: ['Speeding and racing on side streets', 'Package theft', 'More foot patrols'],
    adults: 21400,
    census: { age: [11, 18, 18, 17, 16, 20], gender: [51.5, 48.5], race: [30, 25, 35, 6, 1, 3] },
  },
  {
    slug: 'mill-district',
    name: 'Mill District',
    population: 19800,
    weight: 0.9,
    trust: 5.2,
    safety: 5.4,
    issues: ['How officers treat young people', 'Gun violence', 'Abandoned buildings'],
    adults: 14900,
    census: { age: [15, 22, 17, 15, 15, 16], gender: [50, 50], race: [38, 30, 22, 5, 1, 4] },
  },
  {
    slug: 'southport',
    name: 'Southport',
    population: 22600,
    weight: 0.9,
    trust: 5.0,
    safety: 5.6,
    issues: ['Car break-ins', 'Youth programs', 'Slow response when we call'],
    adults: 17600,
    census: { age: [12, 19, 17, 16, 16, 20], gender: [51.5, 48.5], race: [32, 28, 29, 7, 1, 3] },
  },
  {
    slug: 'cedar-hill',
    name: 'Cedar Hill',
    population: 15200,
    weight: 0.6,
    trust: 7.1,
    safety: 7.6,
    issues: ['Speeding near the school', 'Scams targeting older residents', 'Porch theft'],
    adults: 12500,
    census: { age: [8, 13, 15, 17, 19, 28], gender: [53, 47], race: [10, 9, 71, 7, 1, 2] },
  },
  {
    slug: 'lakeview',
    name: 'Lakeview',
    population: 18300,
    weight: 0.7,
    trust: 6.0,
    safety: 6.5,
    issues: ['Noise at the lake at night', 'Bike theft', 'Speeding on Shore Road'],
    adults: 14500,
    census: { age: [10, 17, 17, 16, 17, 23], gender: [52, 48], race: [20, 18, 48, 10, 1, 3] },
  },
];

const spanishIssues: Record<string, string> = {
  'Slow response when we call': 'La policía tarda mucho en llegar',
  'Drug dealing near the park': 'Venta de drogas cerca del parque',
  'Speeding and racing on side streets': 'Exceso de velocidad en las calles',
  'Youth programs': 'Programas para jóvenes',
  'How officers treat young people': 'Cómo tratan los policías a los jóvenes',
  'Car break-ins': 'Robos en carros',
};

export const DEMO_VOLUME_SETTING = 'demo.volume';

// Responses written per call of the recorder.
const WRITE_ROWS = 500;

/** How a demo database's volume is remembered: "1" is Chicago's rate, "daily:4" a test's fixed daily rate. */
export const demoVolumeLabel = (options: Pick<DemoOptions, 'volume' | 'dailyRate'>) =>
  options.dailyRate !== undefined ? `daily:${options.dailyRate}` : String(options.volume ?? 1);

/** The volume a demo database was built at, or undefined for another kind of database. */
export async function builtVolume(store: Store): Promise<string | undefined> {
  const { settings } = store.tables;
  return (await store.read((db) => first(db.select().from(settings).where(eq(settings.key, DEMO_VOLUME_SETTING)).limit(1))))?.value;
}

/** Chicago's Police Sentiment Scores: 1,500–2,000 responses a month for 2.7 million residents. */
export const CHICAGO_MONTHLY_PER_THOUSAND = 0.7;

/** Days (relative to asOf) and effects of the stories the demo tells, on the 0–10 answer scale (15 points on 0–100). */
function storyEvents(asOf: string) {
  return {
    cookout: { neighborhood: 'riverside', date: addDays(asOf, -240), lift: 1.5 },
    patrols: { neighborhood: 'northgate', date: addDays(asOf, -420), lift: 0.5 },
    incident: { neighborhood: 'mill-district', date: addDays(asOf, -270), drop: 1.8 },
    policy: { date: addDays(asOf, -540) },
  };
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000);
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Trust level on the 0–10 answer scale for a neighborhood on a day: baseline, city drift and the story events. */
function trustLevel(n: DemoNeighborhood, day: string, start: string, stories: ReturnType<typeof storyEvents>): number {
  let level = n.trust + 0.3 * (daysBetween(start, day) / 730);
  const since = (date: string) => daysBetween(date, day);
  if (n.slug === stories.cookout.neighborhood && since(stories.cookout.date) > 0) {
    // The lift builds over four weeks after the cookout and then holds.
    level += stories.cookout.lift * Math.min(1, since(stories.cookout.date) / 28);
  }
  if (n.slug === stories.patrols.neighborhood && since(stories.patrols.date) > 0) {
    level += stories.patrols.lift * Math.min(1, since(stories.patrols.date) / 56);
  }
  if (n.slug === stories.incident.neighborhood && since(stories.incident.date) > 0) {
    // A sharp drop that recovers slowly (half-life about a year).
    level -= stories.incident.drop * Math.pow(0.5, since(stories.incident.date) / 365);
  }
  return level;
}

function answerScale(value: number, min: number, max: number) {
  return clamp(Math.round(value), min, max);
}

const AGE_BANDS = ['18_24', '25_34', '35_44', '45_54', '55_64', '65_plus'] as const;
const GENDERS = ['woman', 'man'] as const;
const RACES = ['black', 'hispanic', 'white', 'asian', 'native', 'other'] as const;

// How much more likely than average each group is to answer an opt-in survey: older residents answer more, young men
// much less (as the issue's surveys found), white residents a little more; the demo's margins let weighting undo it.
const ageTurnout: Record<(typeof AGE_BANDS)[number], number> = { '18_24': 0.45, '25_34': 0.65, '35_44': 0.9, '45_54': 1, '55_64': 1.25, '65_plus': 1.45 };
const youngManTurnout = 0.55;
const raceTurnout: Record<(typeof RACES)[number], number> = { black: 0.9, hispanic: 0.8, white: 1.1, asian: 0.85, native: 0.9, other: 1 };

/** Census shares times turnout, scaled to `total` points, followed by the answers the census has no count for. */
function drawWeights<T extends string>(values: readonly T[], shares: readonly number[], turnout: (v: T) => number, total: number, extra: [string, number][]) {
  const raw = values.map((v, i) => shares[i] * turnout(v));
  const sum = raw.reduce((a, b) => a + b, 0);
  return [...values.map((v, i): [string, number] => [v, (raw[i] / sum) * total]), ...extra];
}

/** One respondent's demographics: drawn from the neighborhood's census shares, skewed by who answers opt-in surveys. */
function demographics(random: Random, n: DemoNeighborhood) {
  const age_band = random.weighted(drawWeights(AGE_BANDS, n.census.age, (a) => ageTurnout[a], 95, [['prefer_not', 5]]));
  const young = age_band === '18_24' || age_band === '25_34';
  const gender = random.weighted(
    drawWeights(GENDERS, n.census.gender, (g) => (g === 'man' ? (young ? youngManTurnout : 0.95) : 1), 94, [
      ['another', 2],
      ['prefer_not', 4],
    ]),
  );
  return {
    age_band,
    gender,
    race_ethnicity: random.weighted(drawWeights(RACES, n.census.race, (r) => raceTurnout[r], 96, [['prefer_not', 4]])),
    years_in_neighborhood: random.weighted([
      ['under_1', 10],
      ['1_4', 27],
      ['5_9', 22],
      ['10_plus', 38],
      ['prefer_not', 3],
    ] as const),
  };
}

/** Whole counts in proportion to `shares` that add up to exactly `total` (largest remainders get the leftover units). */
function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (s / sum) * total);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; k < total - counts.reduce((a, b) => a + b, 0); k++) counts[order[k][1]]++;
  return counts;
}

/** A neighborhood's margins, as an admin would enter them from ACS tables B01001 and B03002 (no count for "another gender" or "prefer not to say"). */
function demoMargins(n: DemoNeighborhood, surveyId: number, neighborhoodId: number, year: number) {
  const source = 'Riverton demo: ACS-like 5-year counts (fictional), B01001 and B03002';
  const rows = (questionCode: string, values: readonly string[], shares: readonly number[], noCount: string[]) => [
    ...apportion(n.adults, shares).map((count, i) => ({ surveyId, neighborhoodId, questionCode, optionValue: values[i], count, source, year })),
    ...noCount.map((optionValue) => ({ surveyId, neighborhoodId, questionCode, optionValue, count: null, source, year })),
  ];
  return [
    ...rows('age_band', AGE_BANDS, n.census.age, ['prefer_not']),
    ...rows('gender', GENDERS, n.census.gender, ['another', 'prefer_not']),
    ...rows('race_ethnicity', RACES, n.census.race, ['prefer_not']),
  ];
}

const demographicShift: Record<string, number> = { '18_24': -0.7, '25_34': -0.3, '55_64': 0.3, '65_plus': 0.6, black: -0.8, hispanic: -0.4, white: 0.3 };

/** One demo resident's answers: scale answers around the neighborhood's level that day, a top issue now and then, demographics. */
function demoAnswers(random: Random, n: DemoNeighborhood, level: number, byCode: ReadonlyMap<string, Question>): { lang: string; answers: AnswerValue[] } {
  const lang = random.next() < 0.2 ? 'es' : 'en';
  const person = demographics(random, n);
  const personal = level + (demographicShift[person.age_band] ?? 0) + (demographicShift[person.race_ethnicity] ?? 0) + random.normal(0, 1.6);
  const answers: AnswerValue[] = [];
  const scale = (code: string, value: number, min: number, max: number) => {
    if (random.next() < 0.04) return; // don't know, or skipped
    answers.push({ questionId: byCode.get(code)!.id, valueNumber: answerScale(value, min, max), valueText: null });
  };
  const agree = (offset: number) => 1 + ((personal + offset) / 10) * 4 + random.normal(0, 0.6);
  scale('safety', n.safety + random.normal(0, 2), 0, 10);
  scale('respect', personal + 0.2 + random.normal(0, 1), 0, 10);
  scale('listening', personal - 0.4 + random.normal(0, 1), 0, 10);
  scale('fairness', agree(-0.5), 1, 5);
  scale('reliability', agree(0.2), 1, 5);
  scale('responsiveness', agree(-0.2), 1, 5);
  scale('confidence', personal + random.normal(0, 1.2), 0, 10);
  if (random.next() < 0.35) {
    const issue = random.pick(n.issues);
    answers.push({ questionId: byCode.get('top_issue')!.id, valueNumber: null, valueText: lang === 'es' ? (spanishIssues[issue] ?? issue) : issue });
  }
  for (const [code, value] of Object.entries(person)) {
    if (random.next() < 0.92) answers.push({ questionId: byCode.get(code)!.id, valueNumber: null, valueText: value });
  }
  return { lang, answers };
}

/** The demo's completed mailing: a response rate near the 15–25% mailed city surveys get, some letters returned. */
const DEMO_MAILING = {
  name: 'Eastwood resident survey by mail',
  neighborhood: 'eastwood',
  invitations: 400,
  notEligible: 22,
  responseRate: 0.2,
  partialShare: 0.1,
  mailedDaysAgo: 75,
  openDays: 45,
};

/**
 * Fills an empty database with the demo city of Riverton: 8 neighborhoods, 24 months of synthetic responses,
 * the events whose effects the results pages show, one completed mailing of invitations, and two staff accounts. Deterministic for a seed and asOf.
 */
export async function generateDemo(store: Store, options: DemoOptions): Promise<{ responses: number }> {
  const { events, invitationCodes, mailings, neighborhoods, populationMargins, settings, staffUsers, surveys } = store.tables;
  const timeZone = options.timeZone ?? 'UTC';
  const repository = createSurveyRepository(store, timeZone);
  await repository.ensureStandardSurvey();
  const random = createRandom(options.seed);
  const { survey, questions: surveyQuestions } = (await repository.findWithQuestions(standardSurvey.slug))!;
  const byCode = new Map<string, Question>(surveyQuestions.map((q) => [q.code, q]));

  const [year, month] = options.asOf.split('-').map(Number);
  const start = new Date(Date.UTC(year, month - 1 - 23, 1)).toISOString().slice(0, 10);
  const stories = storyEvents(options.asOf);
  const hashes = await Promise.all(demoStaff.map((s) => hashPassword(s.password, options.passwordCost)));

  const written = await store.transaction(async (tx) => {
    // Remembered so `npm run demo` rebuilds a database made at another volume.
    await tx
      .insert(settings)
      .values({ key: DEMO_VOLUME_SETTING, value: demoVolumeLabel(options) })
      .onConflictDoUpdate({ target: settings.key, set: { value: demoVolumeLabel(options) } });
    // The demo city publishes its results, so the public transparency page has something to show.
    await tx.update(surveys).set({ published: true }).where(eq(surveys.id, survey.id));
    await tx
      .insert(staffUsers)
      .values(demoStaff.map((s, i) => ({ email: s.email, passwordHash: hashes[i], role: s.role })))
      .onConflictDoNothing();
    const ids = new Map<string, number>();
    for (const n of demoNeighborhoods) {
      const [created] = await tx.insert(neighborhoods).values({ slug: n.slug, name: n.name, population: n.population }).returning({ id: neighborhoods.id });
      ids.set(n.slug, created.id);
      // By mid-year the newest ACS 5-year release ends two years earlier (2020–2024 came out in December 2025).
      await tx.insert(populationMargins).values(demoMargins(n, survey.id, created.id, year - 2));
    }
    const [cookoutEvent] = await tx
      .insert(events)
      .values([
        {
          title: { en: 'Cookout with officers at Riverside Park', es: 'Parrillada con agentes en Riverside Park' },
          occurredOn: stories.cookout.date,
          neighborhoodId: ids.get('riverside'),
          kind: 'outreach',
          description: 'A protest march that ended as a cookout co-hosted by residents and officers.',
          isPublic: true,
        },
        {
          title: { en: 'Foot patrols start in Northgate', es: 'Empiezan las patrullas a pie en Northgate' },
          occurredOn: stories.patrols.date,
          neighborhoodId: ids.get('northgate'),
          kind: 'outreach',
          description: 'Two officers assigned to walking beats on weekday afternoons.',
          isPublic: true,
        },
        {
          title: { en: 'Use-of-force incident on Mill Street', es: 'Incidente de uso de la fuerza en Mill Street' },
          occurredOn: stories.incident.date,
          neighborhoodId: ids.get('mill-district'),
          kind: 'incident',
          description: 'A widely shared video of an arrest during a traffic stop.',
          isPublic: true,
        },
        {
          title: { en: 'Body-worn camera policy takes effect', es: 'Entra en vigor la política de cámaras corporales' },
          occurredOn: stories.policy.date,
          neighborhoodId: null,
          kind: 'policy',
          isPublic: true,
        },
      ])
      .returning({ id: events.id });

    const record = createResponseRecorder(store, surveyQuestions, timeZone);
    // Written many at a time: one statement per table for a few hundred responses.
    const pending: NewResponse[] = [];
    let count = 0;
    const flush = async () => {
      count += (await record(tx, pending.splice(0))).ids.length;
    };
    // Each neighborhood answers in proportion to its population, at `volume` times Chicago's rate.
    const perDay = (n: DemoNeighborhood) =>
      options.dailyRate !== undefined ? options.dailyRate * n.weight : ((options.volume ?? 1) * CHICAGO_MONTHLY_PER_THOUSAND * n.population) / 1000 / 30.44;
    for (let day = start; day <= options.asOf; day = addDays(day, 1)) {
      for (const n of demoNeighborhoods) {
        const level = trustLevel(n, day, start, stories);
        const responsesToday = random.poisson(perDay(n));
        for (let i = 0; i < responsesToday; i++) {
          const { lang, answers } = demoAnswers(random, n, level, byCode);
          const channel = random.weighted([
            ['web', 70],
            ['qr', 20],
            ['paper', 7],
            ['kiosk', 3],
          ] as const);
          // QR answers from Riverside in the two weeks after the cookout came from the cards handed out there.
          const fromCookout =
            channel === 'qr' && n.slug === stories.cookout.neighborhood && day >= stories.cookout.date && day <= addDays(stories.cookout.date, 14);
          pending.push({
            surveyId: survey.id,
            neighborhoodId: ids.get(n.slug)!,
            submittedOn: day,
            channel,
            language: lang,
            answers,
            eventId: fromCookout ? cookoutEvent.id : null,
          });
          if (pending.length >= WRITE_ROWS) await flush();
        }
      }
    }
    await flush();

    // One completed mailing: letters to a random sample of Eastwood's addresses, answered in the weeks after.
    const mailingRandom = createRandom(options.seed + 1);
    const plan = DEMO_MAILING;
    const invited = demoNeighborhoods.find((n) => n.slug === plan.neighborhood)!;
    const mailedOn = addDays(options.asOf, -plan.mailedDaysAgo);
    const closesOn = addDays(mailedOn, plan.openDays);
    const [mailing] = await tx
      .insert(mailings)
      .values({
        surveyId: survey.id,
        neighborhoodId: ids.get(invited.slug)!,
        name: plan.name,
        invitations: plan.invitations,
        mailedOn,
        closesOn,
        notEligible: plan.notEligible,
      })
      .returning({ id: mailings.id });
    // The codes are random and thrown away: the demo's letters were "printed" long ago. The first few came back undeliverable.
    const codes = newCodes(plan.invitations).map((code, i) => ({
      codeHash: codeHash(code),
      mailingId: mailing.id,
      spent: i >= plan.notEligible && mailingRandom.next() < plan.responseRate,
    }));
    await tx.insert(invitationCodes).values(codes);
    for (const { spent } of codes) {
      if (!spent) continue;
      // Most answer within two weeks of the letter arriving (a few days after mailing), some later.
      const day = addDays(mailedOn, Math.min(plan.openDays, 3 + Math.floor(-9 * Math.log(1 - mailingRandom.next()))));
      const { lang, answers } = demoAnswers(mailingRandom, invited, trustLevel(invited, day, start, stories), byCode);
      // A few stop after the first scale questions: partials.
      const kept = mailingRandom.next() < plan.partialShare ? 1 + Math.floor(mailingRandom.next() * 4) : Infinity;
      let scaleAnswers = 0;
      pending.push({
        surveyId: survey.id,
        neighborhoodId: ids.get(invited.slug)!,
        submittedOn: day,
        channel: mailingRandom.next() < 0.7 ? 'qr' : 'web',
        language: lang,
        mailingId: mailing.id,
        answers: answers.filter((a) => a.valueNumber === null || ++scaleAnswers <= kept),
      });
    }
    await flush();
    return count;
  });
  // Weighted before the first page is served, so the demo opens on figures weighted to its census margins.
  await createWeightingRunner(createWeightingRepository(store), console).runStale();
  return { responses: written };
}
