import { closeSync, fsyncSync, openSync } from 'node:fs';
import { hashPassword } from '../src/auth/passwords.js';
import { addDays, dateIn } from '../src/dates.js';
import { openSqliteStore } from '../src/db/open.js';
import { createRandom } from '../src/demo/random.js';
import { measuresOf, respondentScores } from '../src/stats/scoring.js';
import { createSurveyRepository } from '../src/survey/queries.js';
import { createRollupSums, type CountedAnswer } from '../src/survey/rollups.js';
import { standardSurvey } from '../src/survey/standard-survey.js';
import { residentAnswers } from './forms.js';
import { BENCH_LAST_DAY, cityOf, firstDayOf, legacyShape, type BenchShape } from './shapes.js';

export const benchStaff = { email: 'bench-admin@bench.example', password: 'bench-admin-password' };

const BATCH = 50_000;

/** Census shares by option of the bench's margins: older and white residents are fewer than the uniform sample suggests. */
const benchCensusShares: Record<string, Record<string, number>> = {
  age_band: { '18_24': 0.13, '25_34': 0.22, '35_44': 0.18, '45_54': 0.16, '55_64': 0.15, '65_plus': 0.16 },
  gender: { woman: 0.51, man: 0.49 },
  race_ethnicity: { black: 0.29, hispanic: 0.29, white: 0.33, asian: 0.07, native: 0.01, other: 0.01 },
};

/** Events the staff and public pages show: city-wide and per neighborhood, public or staff-only, spread over the years. */
const EVENTS = 8;

export interface GeneratedDatabase {
  responses: number;
  answers: number;
  ms: number;
  /** The survey's measures (trust first), which the mixed scenario varies. */
  measures: string[];
  /** The generated events' ids, dates and neighborhoods (null: city-wide). */
  events: { id: number; occurredOn: string; neighborhood: string | null }[];
}

/**
 * Fills a fresh database with `count` responses over the shape's neighborhoods and years, deterministically, with the
 * rows the recorder writes (answers, response_scores, the monthly, group, answer and text rollups), census margins, a few events, the survey's results
 * published and one admin account (weighting is left to the bench, which times it).
 */
export async function generateBenchDatabase(path: string, count: number, shape: BenchShape = legacyShape, seed = 1): Promise<GeneratedDatabase> {
  const benchNeighborhoods = cityOf(shape);
  const started = performance.now();
  // A bulk load straight through better-sqlite3 (the bench's own, not the app's way of writing); the survey and the
  // rollups go through the app's store.
  const { store, database } = openSqliteStore({ DATABASE_PATH: path });
  const { sqlite } = database;
  const surveys = createSurveyRepository(store, 'UTC');
  await surveys.ensureStandardSurvey();
  const { survey, questions: surveyQuestions } = (await surveys.findWithQuestions(standardSurvey.slug))!;
  const byField = new Map(surveyQuestions.map((q) => [`q_${q.code}`, q]));
  const measures = measuresOf(surveyQuestions);
  const passwordHash = await hashPassword(benchStaff.password, 10);

  // A throwaway file: no journal, no fsync; secondary indexes are built once at the end, which is faster.
  sqlite.pragma('journal_mode = OFF');
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -1000000');
  const indexes = sqlite
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('responses', 'answers', 'response_scores')")
    .all() as { name: string; sql: string }[];
  for (const index of indexes) sqlite.exec(`DROP INDEX ${index.name}`);

  sqlite.prepare("INSERT INTO staff_users (email, password_hash, role) VALUES (?, ?, 'admin')").run(benchStaff.email, passwordHash);
  const insertNeighborhood = sqlite.prepare('INSERT INTO neighborhoods (slug, name, population) VALUES (?, ?, ?)');
  const neighborhoodIds = benchNeighborhoods.map((n, i) => Number(insertNeighborhood.run(n.slug, n.name, 10_000 + i * 1000).lastInsertRowid));
  const totalWeight = benchNeighborhoods.reduce((s, n) => s + n.weight, 0);
  // Census margins for every neighborhood (a typical big-city mix), so figures are weighted as a department's would be.
  const insertMargin = sqlite.prepare(
    "INSERT INTO population_margins (survey_id, neighborhood_id, question_code, option_value, count, source, year) VALUES (?, ?, ?, ?, ?, 'bench', 2023)",
  );
  neighborhoodIds.forEach((id, i) => {
    const population = 10_000 + i * 1000;
    for (const [question, shares] of Object.entries(benchCensusShares))
      for (const [option, share] of Object.entries(shares)) insertMargin.run(survey.id, id, question, option, Math.round(population * share));
  });

  const insertResponse = sqlite.prepare(
    'INSERT INTO responses (id, survey_id, neighborhood_id, submitted_on, channel, language, cell_key) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  // One multi-row INSERT per response and table: far fewer statement calls than one per row.
  const multiRow = (head: string, tuple: string, max: number) =>
    Array.from({ length: max + 1 }, (_, k) => (k === 0 ? null : sqlite.prepare(`${head} VALUES ${Array(k).fill(tuple).join(', ')}`)));
  const insertAnswers = multiRow('INSERT INTO answers (response_id, question_id, value_number, value_text)', '(?, ?, ?, ?)', surveyQuestions.length);
  const insertScores = multiRow('INSERT INTO response_scores (response_id, measure, score)', '(?, ?, ?)', measures.size);
  const rollups = createRollupSums();
  const random = createRandom(seed);
  const days: string[] = [];
  for (let day = firstDayOf(shape); day <= BENCH_LAST_DAY; day = addDays(day, 1)) days.push(day);

  let answerCount = 0;
  const writeBatch = sqlite.transaction((from: number, to: number) => {
    for (let id = from; id <= to; id++) {
      const day = days[Math.floor(((id - 1) * days.length) / count)];
      let pick = random.next() * totalWeight;
      let k = 0;
      while (pick >= benchNeighborhoods[k].weight && k < benchNeighborhoods.length - 1) pick -= benchNeighborhoods[k++].weight;
      const language = random.next() < 0.2 ? 'es' : 'en';
      const channel = random.next() < 0.7 ? 'web' : random.next() < 0.8 ? 'qr' : 'paper';
      const cellKey = Math.floor(random.next() * 4294967296);
      insertResponse.run(id, survey.id, neighborhoodIds[k], day, channel, language, cellKey);
      const points = new Map<number, number>();
      const answerValues: (number | string | null)[] = [];
      const answered: CountedAnswer[] = [];
      for (const [field, value] of Object.entries(residentAnswers(random, benchNeighborhoods[k].trust))) {
        const question = byField.get(field)!;
        const numeric = question.kind === 'scale';
        const [valueNumber, valueText] = numeric ? [Number(value), null] : [null, value];
        answerValues.push(id, question.id, valueNumber, valueText);
        answered.push({ questionId: question.id, kind: question.kind, valueNumber, valueText });
        if (numeric) points.set(question.id, Number(value));
      }
      if (answerValues.length > 0) insertAnswers[answerValues.length / 4]!.run(answerValues);
      answerCount += answerValues.length / 4;
      const scoreValues: (number | string)[] = [];
      const scores = [...respondentScores(measures, points)];
      for (const [measure, score] of scores) scoreValues.push(id, measure, score);
      rollups.add({ surveyId: survey.id, neighborhoodId: neighborhoodIds[k], submittedOn: day, cellKey }, scores, answered);
      if (scoreValues.length > 0) insertScores[scoreValues.length / 3]!.run(scoreValues);
    }
  });
  for (let from = 1; from <= count; from += BATCH) writeBatch(from, Math.min(count, from + BATCH - 1));
  sqlite.prepare('UPDATE surveys SET published = 1 WHERE id = ?').run(survey.id);
  const insertEvent = sqlite.prepare('INSERT INTO events (title, occurred_on, neighborhood_id, kind, is_public) VALUES (?, ?, ?, ?, ?)');
  const kinds = ['outreach', 'incident', 'policy', 'other'];
  const events = Array.from({ length: EVENTS }, (_, i) => {
    // From a tenth into the data to a tenth before its end, so every event has months before and after it.
    const occurredOn = days[Math.floor(((i + 1) * days.length) / (EVENTS + 2))];
    const k = i % 3 === 0 ? null : (i * 37) % benchNeighborhoods.length;
    const title = JSON.stringify({ en: `Bench event ${i + 1}`, es: `Evento ${i + 1}` });
    const id = Number(insertEvent.run(title, occurredOn, k === null ? null : neighborhoodIds[k], kinds[i % kinds.length], i % 2).lastInsertRowid);
    return { id, occurredOn, neighborhood: k === null ? null : benchNeighborhoods[k].slug };
  });
  await store.transaction((tx) => rollups.addTo(tx, store, dateIn('UTC')));
  for (const index of indexes) sqlite.exec(index.sql);
  sqlite.exec('ANALYZE');
  sqlite.pragma('journal_mode = WAL');
  await store.close();
  // Nothing was fsynced: flush now, or the kernel's write-back of the whole file would slow the measurements after it.
  const fd = openSync(path, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return { responses: count, answers: answerCount, ms: performance.now() - started, measures: [...measures.keys()], events };
}
