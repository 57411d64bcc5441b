/**
 * The disclosure attack on figures by sample type (issue 18), with the engine of the main attack (`engine.ts`): a
 * liaison reads every trend and event impact for all responses, opt-in responses and invitation responses, each
 * figure written as a linear combination of per-record unknowns, and the attacker estimates the total score of every
 * group of 1–9 responses — in particular a neighborhood-month's few invitation (or opt-in) responses, which all −
 * opt-in = invitation would single out without the complementary rule.
 *
 * Release rules modelled: those of `attack.ts` (grid neighborhood × calendar month, complete months, shown mean =
 * noisy sum / noisy n, city = sum of the neighborhoods' atoms), and per sample: a sample's part of an atom is its own
 * atom, with noise drawn from its own records (so a part that is the whole atom shares the atom's noise), left out of
 * every figure (the city's too) unless both parts of the atom are empty or at the floor (the complementary rule,
 * written out again here, not imported). The model's left-out atoms are checked against what the API says it left out.
 */
import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { dateIn } from '../../../src/dates.js';
import { seedResponses, staffSessions } from '../admin.js';
import { csrfFrom } from '../app.js';
import type { ShownCell } from './collector.js';
import { analyseGroups, solve, type Figure, type GroupFinding, type NoiseTerm } from './engine.js';
import { freshAnswers, seedSparseCity } from './fixture.js';
import { lastCompleteMonthEnd, periodEnd, periodsBetween, shiftPeriod, type Period } from './periods.js';
import { readRecords, scoreCombo, scoreTruth, surveyShape, type GroundRecord } from './records.js';

const SURVEY = 'community-trust';
const FLOOR = 10;
const weak = { mean: 50, variance: 1000 ** 2 };
export type Sample = 'all' | 'opt-in' | 'invitation';
const samples: Sample[] = ['all', 'opt-in', 'invitation'];

export interface SampleAttackReport {
  requests: number;
  figures: number;
  /** Exact figures whose n or sum disagrees with the records the model maps them to (perturbation off). */
  mismatches: string[];
  /** Reads whose `sample.left_out` differs from the model's (the complementary rule, written out again). */
  leftOutMismatches: string[];
  worst: GroupFinding;
  /** Groups of 1–9 whose total's SD is under `bound`, worst first. */
  leaks: GroupFinding[];
  /** Each neighborhood-month's small invitation or opt-in part (1–9 responses) with its SD. */
  smallParts: GroupFinding[];
}

type TrendsJson = {
  bucket: Period;
  rolling: number;
  measure: string;
  buckets: { start: string; end: string; label: string }[];
  series: { area: string; cells: ShownCell[] }[];
  sample: { kind: Sample; left_out: { area: string; month: string }[] };
};

/**
 * Stores the sparse fixture plus invitation responses (some neighborhood-months with 10 or more, some with 2–4), reads
 * every sample's trends and impacts as a liaison, and analyses the trust measure's groups of 1–9 responses.
 */
export async function runSampleAttack({
  app,
  exact,
  rule,
  bound,
}: {
  app: FastifyInstance;
  /** The app releases exact figures (built with `unsafeExactFigures`). */
  exact: boolean;
  /** The app applies the complementary rule (false when built with `unsafeSampleParts`). */
  rule: boolean;
  bound: number;
}): Promise<SampleAttackReport> {
  const today = dateIn(app.config.TIME_ZONE);
  const latest = lastCompleteMonthEnd(today);
  const { north, south, first, random } = await seedSparseCity(app, today);
  const months = periodsBetween(first, latest, 'month');
  const { mailings, responses } = app.store.tables;
  const { survey } = (await app.surveys.findWithQuestions(SURVEY))!;
  // Invitation responses per neighborhood and month index: two under the floor in North Park, two in South Shore.
  const invited: [number, number, number][] = [
    [north.id, 1, 14],
    [north.id, 2, 4],
    [north.id, 4, 12],
    [south.id, 1, 3],
    [south.id, 3, 16],
    [south.id, 5, 2],
  ];
  for (const [neighborhoodId, i, n] of invited) {
    const day = `${months[i].slice(0, 8)}12`;
    const [mailing] = await app.store.transaction((tx) =>
      tx
        .insert(mailings)
        .values({ surveyId: survey.id, neighborhoodId, name: `Mailing ${i}`, invitations: 500, mailedOn: months[i], closesOn: periodEnd(months[i], 'month') })
        .returning({ id: mailings.id }),
    );
    const ids = await seedResponses(
      app,
      Array.from({ length: n }, () => ({ neighborhoodId, submittedOn: day, answers: freshAnswers(random) })),
    );
    await app.store.transaction((tx) => tx.update(responses).set({ mailingId: mailing.id }).where(inArray(responses.id, ids)));
  }

  const shape = await surveyShape(app, SURVEY);
  const { all } = await readRecords(app, shape, SURVEY);
  const invitedIds = new Set(
    (await app.store.read((db) => db.select({ id: responses.id, mailing: responses.mailingId }).from(responses)))
      .filter((r) => r.mailing !== null)
      .map((r) => r.id),
  );
  const measure = 'trust';
  const records = [...all.values()].filter((r) => scoreCombo(shape, r, measure)).sort((a, b) => a.id - b.id);
  const inSample = (r: GroundRecord, sample: Sample) => sample === 'all' || (sample === 'invitation') === invitedIds.has(r.id);
  const atomOf = (r: GroundRecord) => `${r.neighborhood}|${r.date.slice(0, 7)}`;
  // The complementary rule: an atom's sample parts are released only when each is empty or at the floor.
  const parts = new Map<string, { invitation: GroundRecord[]; optIn: GroundRecord[] }>();
  for (const r of records) {
    const p = parts.get(atomOf(r)) ?? parts.set(atomOf(r), { invitation: [], optIn: [] }).get(atomOf(r))!;
    (invitedIds.has(r.id) ? p.invitation : p.optIn).push(r);
  }
  const clears = (k: number) => k === 0 || k >= FLOOR;
  const leftOut = (sample: Sample, atom: string) => {
    const p = parts.get(atom);
    return rule && sample !== 'all' && p !== undefined && !(clears(p.invitation.length) && clears(p.optIn.length));
  };

  const figures: Figure[] = [];
  const seen = new Set<string>();
  const mismatches: string[] = [];
  const leftOutMismatches: string[] = [];
  const candidates: { how: string; records: string[] }[] = [];
  let requests = 0;

  const cell = (label: string, areas: readonly string[], from: string, to: string, sample: Sample, shown: ShownCell) => {
    const members = records.filter(
      (r) => areas.includes(r.neighborhood) && r.date >= from && r.date <= to && inSample(r, sample) && !leftOut(sample, atomOf(r)),
    );
    if (shown.suppressed || shown.n === null || shown.mean === null) {
      if (members.length >= 1 && members.length <= 9) candidates.push({ how: `hidden: ${label}`, records: members.map((r) => r.key) });
      return;
    }
    const terms = new Map<string, number>();
    let truth = 0;
    for (const r of members) {
      for (const [id, c] of scoreCombo(shape, r, measure)!) terms.set(id, (terms.get(id) ?? 0) + c);
      truth += scoreTruth(shape, r, measure)!;
    }
    const value = shown.n * shown.mean;
    if (exact && (shown.n !== members.length || Math.abs(value - truth) > 1e-6 * Math.max(1, truth)))
      mismatches.push(`${label}: shown n=${shown.n} sum=${value.toFixed(3)}, records say n=${members.length} sum=${truth.toFixed(3)}`);
    const noise: NoiseTerm[] = [];
    if (!exact) {
      // One noise unknown per atom part, named by its records: a part that is the whole atom is the atom's own noise.
      const byAtom = new Map<string, GroundRecord[]>();
      for (const r of members) byAtom.set(atomOf(r), [...(byAtom.get(atomOf(r)) ?? []), r]);
      for (const [atom, part] of byAtom) noise.push({ id: `m:${measure}|${atom}#${part.map((r) => r.id).join(',')}`, variance: 45 ** 2 });
    }
    const key = `${members.map((r) => r.id).join(',')}|${noise.map((n) => n.id).join(',')}`;
    if (seen.has(key)) return;
    seen.add(key);
    figures.push({ label, terms, value, noise });
  };

  const sessions = await staffSessions(app);
  const token = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: sessions.liaisonJar.header() } })).body) ?? '';
  const get = async <T>(url: string): Promise<T> => {
    requests++;
    const res = await app.inject({ url, headers: { cookie: sessions.liaisonJar.header(), 'csrf-token': token } });
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
    return res.json<T>();
  };
  const areas = (area: string) => (area === 'city' ? [north.slug, south.slug] : [area]);
  const cap = (to: string) => (to < latest ? to : latest);
  const checkLeftOut = (label: string, t: TrendsJson, from: string, to: string) => {
    const want = [...parts.keys()]
      .filter((atom) => {
        const [, month] = atom.split('|');
        const p = parts.get(atom)!;
        const own = t.sample.kind === 'invitation' ? p.invitation : p.optIn;
        return own.length > 0 && leftOut(t.sample.kind, atom) && `${month}-01` >= from.slice(0, 8) + '01' && `${month}-01` <= to;
      })
      .sort();
    const got = t.sample.left_out.map((l) => `${l.area}|${l.month.slice(0, 7)}`).sort();
    if (want.join(';') !== got.join(';')) leftOutMismatches.push(`${label}: model ${want.join(';')}, API ${got.join(';')}`);
  };
  const trends = (label: string, t: TrendsJson, check: boolean) => {
    if (check) checkLeftOut(label, t, shiftPeriod(t.buckets[0].start, t.bucket, 1 - t.rolling), cap(t.buckets[t.buckets.length - 1].end));
    for (const s of t.series)
      t.buckets.forEach((b, i) =>
        cell(`${label} ${s.area} ${b.label}`, areas(s.area), shiftPeriod(b.start, t.bucket, 1 - t.rolling), cap(b.end), t.sample.kind, s.cells[i]),
      );
  };

  for (const sample of samples)
    for (const [bucket, rollings] of [
      ['month', [1, 2, 3, 6]],
      ['quarter', [1, 2]],
    ] as const)
      for (const rolling of rollings) {
        const url = `/api/trends?${new URLSearchParams({ survey: SURVEY, measure, bucket, rolling: String(rolling), from: first, to: today, sample })}`;
        trends(`GET ${url} →`, await get<TrendsJson>(url), true);
      }

  // Events in the middle of every month, city-wide and in each neighborhood: each sample's before/after and comparison.
  for (const month of months)
    for (const neighborhoodId of [null, north.id, south.id]) {
      const id = await app.events.create(
        {
          title: { en: `Event ${month}`, es: `Evento ${month}` },
          occurredOn: `${month.slice(0, 8)}15`,
          kind: 'outreach',
          description: null,
          link: null,
          isPublic: false,
          neighborhoodId,
        },
        sessions.admin.id,
      );
      for (const sample of samples.filter((s) => s !== 'all'))
        for (const w of [1, 3]) {
          const url = `/api/events/${id}/impact?months=${w}&measure=${measure}&sample=${sample}`;
          const impact = await get<{
            event: { neighborhood: string | null };
            windows: Record<'before' | 'after', { from: string; to: string }>;
            area: Record<'before' | 'after', ShownCell>;
            comparison: Record<'before' | 'after', ShownCell> | null;
            monthly: TrendsJson;
          }>(url);
          const home = impact.event.neighborhood;
          for (const side of ['before', 'after'] as const) {
            const { from, to } = impact.windows[side];
            cell(`GET ${url} → area ${side}`, home ? [home] : areas('city'), from, cap(to), sample, impact.area[side]);
            if (home && impact.comparison)
              cell(
                `GET ${url} → comparison ${side}`,
                areas('city').filter((a) => a !== home),
                from,
                cap(to),
                sample,
                impact.comparison[side],
              );
          }
          trends(`GET ${url} → monthly`, impact.monthly, false);
        }
    }

  // Parts of atoms that hold both samples (a part that is the whole atom is the main attack's concern).
  for (const [atom, p] of [...parts].filter(([, p]) => p.invitation.length > 0 && p.optIn.length > 0))
    for (const [name, group] of [
      ['invitation', p.invitation],
      ['opt-in', p.optIn],
    ] as const)
      if (group.length >= 1 && group.length <= 9) candidates.push({ how: `small ${name} part: ${atom}`, records: group.map((r) => r.key) });

  const posterior = solve(figures, () => weak);
  const targets = records.map((r) => ({ record: r.key, combo: scoreCombo(shape, r, measure)!, truth: scoreTruth(shape, r, measure)! }));
  const analysis = analyseGroups(posterior, targets, { bound, candidates });
  return {
    requests,
    figures: figures.length,
    mismatches: [...mismatches, ...posterior.inconsistencies.map((i) => `${i.label}: off by ${i.residual}`)],
    leftOutMismatches,
    worst: analysis.worst,
    leaks: analysis.under,
    smallParts: analysis.candidates.filter((c) => c.how.startsWith('small ')),
  };
}
