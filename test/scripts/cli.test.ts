import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import t from 'tap';
import { verifyPassword } from '../../src/auth/passwords.js';
import { sql } from 'drizzle-orm';
import { openSqliteStore } from '../../src/db/open.js';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { createSurveyRepository } from '../../src/survey/queries.js';
import { compiledServer, tempDir } from '../helper/app.js';

/** Runs one of the compiled command-line scripts the README documents, with a temp database. */
function run(script: string, args: string[], env: Record<string, string>, input = '') {
  const node = compiledServer().command;
  const entry = join(compiledServer().args[0], '..', '..', 'scripts', `${script}.js`);
  return spawnSync(node, [entry, ...args], { input, env: { ...process.env, PASSWORD_HASH_COST: '10', LOG_LEVEL: 'silent', ...env }, encoding: 'utf8' });
}

t.test('npm run user: add staff with the password from stdin, reset it, refuse bad input', async (t) => {
  const env = { DATABASE_PATH: join(tempDir(t), 'cli.db') };
  const added = run('user', ['add', '--email', 'Chief@Example.org', '--role', 'admin'], env, 'a long passphrase\n');
  t.equal(added.status, 0, added.stderr);
  t.match(added.stdout, 'Created admin chief@example.org.');
  t.equal(run('user', ['add', '--email', 'chief@example.org', '--role', 'admin'], env, 'another passphrase\n').status, 1, 'no duplicate');
  t.equal(run('user', ['add', '--email', 'x@example.org', '--role', 'boss'], env, 'a long passphrase\n').status, 2, 'bad role');
  t.equal(run('user', ['add', '--email', 'x@example.org', '--role', 'liaison'], env, 'short\n').status, 2, 'short password');
  t.equal(run('user', ['add', '--email', 'not-an-email', '--role', 'liaison'], env, 'a long passphrase\n').status, 2);
  const reset = run('user', ['reset-password', '--email', 'chief@example.org'], env, 'a brand new passphrase\n');
  t.equal(reset.status, 0, reset.stderr);
  const handle = openDatabase(env.DATABASE_PATH);
  t.teardown(() => handle.close());
  const row = handle.sqlite.prepare('SELECT role, password_hash AS hash FROM staff_users WHERE email = ?').get('chief@example.org') as {
    role: string;
    hash: string;
  };
  t.equal(row.role, 'admin');
  t.ok(await verifyPassword('a brand new passphrase', row.hash));
  t.notOk(await verifyPassword('a long passphrase', row.hash));
});

t.test('npm run export: the CSV on stdout; npm run backup: a copy that opens', async (t) => {
  const dir = tempDir(t);
  const env = { DATABASE_PATH: join(dir, 'export.db') };
  const { store } = openSqliteStore(env);
  await createSurveyRepository(store, 'UTC').ensureStandardSurvey();
  await store.transaction(async (tx) => {
    const [place] = await tx.insert(store.tables.neighborhoods).values({ slug: 'riverside', name: 'Riverside' }).returning();
    await tx
      .insert(store.tables.responses)
      .values({ id: 1, surveyId: 1, neighborhoodId: place.id, submittedOn: '2026-03-02', channel: 'paper', language: 'es' });
    await store.execute(
      tx,
      sql`INSERT INTO answers (response_id, question_id, value_text) SELECT 1, id, ${'=1+1, "quoted"'} FROM questions WHERE code = 'top_issue'`,
    );
  });
  await store.close();

  const out = run('export', ['--survey', 'community-trust', '--format', 'wide'], env);
  t.equal(out.status, 0, out.stderr);
  const rows = parse<Record<string, string>>(out.stdout, { columns: true });
  t.equal(rows.length, 1);
  t.equal(rows[0].neighborhood, 'riverside');
  t.equal(rows[0].top_issue, `'=1+1, "quoted"`, 'formula neutralised, quotes kept');
  t.equal(run('export', ['--survey', 'nope'], env).status, 1);
  t.equal(run('export', ['--format', 'wide'], env).status, 2, 'the survey is required');

  const copy = join(dir, 'copy.db');
  const backup = run('backup', [copy], env);
  t.equal(backup.status, 0, backup.stderr);
  t.ok(existsSync(copy));
  const restored = openDatabase(copy, { readonly: true });
  t.equal(restored.sqlite.pragma('integrity_check', { simple: true }), 'ok');
  t.equal((restored.sqlite.prepare('SELECT count(*) AS n FROM responses').get() as { n: number }).n, 1);
  restored.close();
  t.equal(run('backup', [copy], env).status, 2, 'never overwrites a file');
});
