import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { measureSalt } from '../../../src/results/trends.js';
import { releaseAtom } from '../../../src/stats/perturbation.js';
import type { Combination } from './engine.js';

/** A stored response as ground truth, read with plain SQL: item scores on 0–100 and choice answers. */
export interface GroundRecord {
  id: number;
  /** Prefix of its unknowns' ids. */
  key: string;
  neighborhood: string;
  date: string;
  /** Scale item code → 0–100 score (our own mapping, not the app's). */
  items: Map<string, number>;
  /** Scale item code → the scale point answered. */
  points: Map<string, number>;
  choices: Map<string, string>;
}

export interface ScaleItem {
  code: string;
  scale: '0-10' | 'agree5';
  reverse: boolean;
}

export interface SurveyShape {
  items: ScaleItem[];
  /** Measure → its item codes (every dimension, and trust = the items in the trust score). */
  measures: Map<string, string[]>;
  /** Choice question code → its English prompt and option value → English label. */
  choices: Map<string, { prompt: string; options: Map<string, string> }>;
}

/** The published scoring rule, written out again so the attack does not trust the code it attacks. */
export const pointTo100 = (item: ScaleItem, point: number) => {
  const score = item.scale === '0-10' ? point * 10 : (point - 1) * 25;
  return item.reverse ? 100 - score : score;
};

export async function surveyShape(app: FastifyInstance, slug: string): Promise<SurveyShape> {
  const { questions } = (await app.surveys.findWithQuestions(slug))!;
  const items: ScaleItem[] = [];
  const measures = new Map<string, string[]>();
  const choices = new Map<string, { prompt: string; options: Map<string, string> }>();
  const add = (m: string, code: string) => measures.set(m, [...(measures.get(m) ?? []), code]);
  for (const q of questions) {
    if (q.kind === 'scale' && q.scale) {
      items.push({ code: q.code, scale: q.scale, reverse: q.reverseScored });
      if (q.inTrustScore) add('trust', q.code);
      if (q.dimension) add(q.dimension, q.code);
    }
    if (q.kind === 'choice')
      choices.set(q.code, { prompt: q.prompt.en ?? q.code, options: new Map((q.options ?? []).map((o) => [o.value, o.label.en ?? o.value])) });
  }
  return { items, measures, choices };
}

/** Every response of the survey with its answers; `live` only those not voided (what figures count now). */
export async function readRecords(app: FastifyInstance, shape: SurveyShape, slug: string): Promise<{ all: Map<number, GroundRecord>; live: Set<number> }> {
  const { store } = app;
  const rows = await store.read((db) =>
    store.rows<{ id: number; neighborhood: string; date: string; voided: number }>(
      db,
      sql`SELECT r.id AS "id", n.slug AS "neighborhood", r.submitted_on AS "date", r.voided AS "voided" FROM responses r
          JOIN neighborhoods n ON n.id = r.neighborhood_id JOIN surveys s ON s.id = r.survey_id WHERE s.slug = ${slug} ORDER BY r.id`,
    ),
  );
  const all = new Map<number, GroundRecord>();
  const live = new Set<number>();
  for (const r of rows) {
    all.set(r.id, { id: r.id, key: `r${r.id}`, neighborhood: r.neighborhood, date: r.date, items: new Map(), points: new Map(), choices: new Map() });
    if (!r.voided) live.add(r.id);
  }
  const answers = await store.read((db) =>
    store.rows<{ id: number; code: string; kind: string; number: number | null; text: string | null }>(
      db,
      sql`SELECT a.response_id AS "id", q.code AS "code", q.kind AS "kind", a.value_number AS "number", a.value_text AS "text" FROM answers a JOIN questions q ON q.id = a.question_id`,
    ),
  );
  const itemByCode = new Map(shape.items.map((i) => [i.code, i]));
  for (const a of answers) {
    const record = all.get(a.id);
    if (!record) continue;
    const item = itemByCode.get(a.code);
    if (item && a.number !== null) {
      record.points.set(a.code, a.number);
      record.items.set(a.code, pointTo100(item, a.number));
    }
    if (a.kind === 'choice' && a.text !== null) record.choices.set(a.code, a.text);
  }
  return { all, live };
}

/** A respondent's score on a measure as a combination of item unknowns, when more than half its items are answered. */
export function scoreCombo(shape: SurveyShape, record: GroundRecord, measure: string): Combination | null {
  const items = shape.measures.get(measure) ?? [];
  const answered = items.filter((code) => record.items.has(code));
  if (answered.length === 0 || answered.length * 2 <= items.length) return null;
  return new Map(answered.map((code) => [`${record.key}:${code}`, 1 / answered.length]));
}

export function scoreTruth(shape: SurveyShape, record: GroundRecord, measure: string): number | null {
  const combo = scoreCombo(shape, record, measure);
  if (!combo) return null;
  let total = 0;
  for (const [id, c] of combo) total += c * record.items.get(id.slice(id.indexOf(':') + 1))!;
  return total;
}

/** Each weighted response's census weight by record key (src/weighting/), as the strong attacker is granted to know them. */
export async function readWeights(app: FastifyInstance, slug: string): Promise<Map<string, number>> {
  const { store } = app;
  const rows = await store.read((db) =>
    store.rows<{ id: number; weight: number | null }>(
      db,
      sql`SELECT r.id AS "id", r.weight AS "weight" FROM responses r JOIN surveys s ON s.id = r.survey_id WHERE s.slug = ${slug}`,
    ),
  );
  return new Map(rows.flatMap((r) => (r.weight === null ? [] : [[`r${r.id}`, Number(r.weight)] as [string, number]])));
}

/**
 * Each weighted atom's released (noisy) Σw by `measure|neighborhood|YYYY-MM`, as protected figures add it up: what the
 * strong attacker is granted (a weighted figure's interval gives its noisy Σw away; see collector.ts). Computed by the
 * release itself: it sets only the values of weighted figures, so a wrong one would show as inconsistent figures.
 */
export async function readReleasedSumW(
  app: FastifyInstance,
  slug: string,
  measures: readonly string[],
  from: string,
  to: string,
): Promise<Map<string, number>> {
  const { store } = app;
  const survey = (await app.surveys.findWithQuestions(slug))!.survey;
  const slugs = new Map(
    (await store.read((db) => store.rows<{ id: number; slug: string }>(db, sql`SELECT id AS "id", slug AS "slug" FROM neighborhoods`))).map((n) => [
      Number(n.id),
      n.slug,
    ]),
  );
  const sums = await app.results.monthSums(survey.id, measures, { from, to }, { weighted: true });
  const released = new Map<string, number>();
  for (const row of sums.rows) {
    const weighted = releaseAtom(row, measureSalt(row.measure), true).weighted;
    if (weighted) released.set(`${row.measure}|${slugs.get(Number(row.neighborhoodId))}|${row.month.slice(0, 7)}`, weighted.sumW);
  }
  return released;
}
