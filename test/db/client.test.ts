import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { openSqliteStore } from '../../src/db/open.js';
import { createSurveyRepository } from '../../src/survey/queries.js';
import { migrationsFolder } from '../../src/paths.js';
import { tempDir } from '../helper/app.js';

t.test('migrations build every table on an empty file, with durable settings', async (t) => {
  const path = join(tempDir(t), 'nested', 'folder', 'fresh.db');
  const handle = openDatabase(path);
  t.teardown(() => handle.close());
  const tables = handle.sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name")
    .all()
    .map((r) => (r as { name: string }).name);
  t.same(tables, [
    'answer_rollups',
    'answers',
    'audit_log',
    'events',
    'group_rollups',
    'import_batches',
    'invitation_codes',
    'kiosk_links',
    'kiosk_receipts',
    'login_failures',
    'mailings',
    'monthly_rollups',
    'neighborhoods',
    'one_time_tokens',
    'population_margins',
    'quarantines',
    'questions',
    'response_scores',
    'responses',
    'sessions',
    'settings',
    'staff_users',
    'surveys',
    'text_rollups',
    'themes',
    'weighted_rollups',
    'weighting_runs',
  ]);
  const columns = (table: string) => (handle.sqlite.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
  t.ok(columns('responses').includes('cell_key'), 'each response has its cell key');
  t.ok(columns('monthly_rollups').includes('key_sum'), 'each rollup the sum of its responses’ keys');
  t.equal(handle.sqlite.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(handle.sqlite.pragma('synchronous', { simple: true }), 2, 'FULL');
  t.equal(handle.sqlite.pragma('foreign_keys', { simple: true }), 1);
  t.equal(handle.sqlite.pragma('busy_timeout', { simple: true }), 5000);
  handle.close();
  const again = openDatabase(path);
  t.equal(
    (again.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n,
    readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).length,
    'migrations apply once',
  );
  again.close();
});

t.test('the standard Community Trust Survey is seeded once, open, in English and Spanish', async (t) => {
  const { store, database: handle } = openSqliteStore({ DATABASE_PATH: join(tempDir(t), 'seed.db') });
  t.teardown(() => store.close());
  await createSurveyRepository(store, 'UTC').ensureStandardSurvey();
  await createSurveyRepository(store, 'UTC').ensureStandardSurvey();
  const surveys = handle.sqlite.prepare('SELECT * FROM surveys').all() as { slug: string; status: string; languages: string }[];
  t.equal(surveys.length, 1);
  t.equal(surveys[0].slug, 'community-trust');
  t.equal(surveys[0].status, 'open');
  t.same(JSON.parse(surveys[0].languages), ['en', 'es']);
  const questions = handle.sqlite
    .prepare('SELECT code, kind, scale, dimension, in_trust_score, prompt, options FROM questions ORDER BY position')
    .all() as Record<string, string | number | null>[];
  t.same(
    questions.map((q) => q.code),
    [
      'safety',
      'respect',
      'listening',
      'fairness',
      'reliability',
      'responsiveness',
      'confidence',
      'top_issue',
      'age_band',
      'gender',
      'race_ethnicity',
      'years_in_neighborhood',
    ],
  );
  t.same(
    questions.filter((q) => q.in_trust_score).map((q) => q.code),
    ['respect', 'listening'],
    "Chicago's TRUST",
  );
  t.same(
    questions.filter((q) => q.scale === '0-10').map((q) => q.code),
    ['safety', 'respect', 'listening', 'confidence'],
  );
  t.same(
    questions.filter((q) => q.scale === 'agree5').map((q) => q.code),
    ['fairness', 'reliability', 'responsiveness'],
  );
  t.equal(JSON.parse(questions[1].prompt as string).en, 'The police in my neighborhood treat local residents with respect.');
  for (const q of questions) t.ok(JSON.parse(q.prompt as string).es, `${q.code} has Spanish`);
  for (const q of questions.filter((q) => q.kind === 'choice')) {
    t.ok(
      JSON.parse(q.options as string).some((o: { value: string }) => o.value === 'prefer_not'),
      `${q.code} offers prefer not to say`,
    );
  }
  t.equal((handle.sqlite.prepare('SELECT count(*) AS n FROM neighborhoods').get() as { n: number }).n, 0, 'no neighborhoods until an admin adds them');
});
