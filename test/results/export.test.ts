import { parse } from 'csv-parse/sync';
import t from 'tap';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { expected, liaisonSession, people, submit } from '../helper/responses.js';

t.test('CSV in the Police Sentiment Scores shape, with n and intervals, suppressed cells empty', async (t) => {
  const { app, database } = await buildTestApp(t);
  // A neighborhood name that a spreadsheet would run as a formula.
  const [alder, formula] = addNeighborhoods(database, 'Alder', '=HYPERLINK("http://evil.example")');
  await submit(app, alder.id, '2026-03-10', people(45, 3));
  await submit(app, formula.id, '2026-03-10', people(12, 5));
  await submit(app, alder.id, '2026-04-10', people(31, 3));
  await submit(app, formula.id, '2026-04-10', people(33, 5));
  const { get } = await liaisonSession(app);

  const res = await get('/results/export.csv?from=2026-03-01&to=2026-04-30');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], /^attachment; filename="community-trust-aggregates-\d{4}-\d{2}-\d{2}\.csv"$/);
  t.ok(res.body.includes('\r\n'), 'CRLF records');
  t.notOk(res.body.startsWith('\ufeff'), 'no BOM unless asked');
  const rows = parse<Record<string, string>>(res.body, { columns: true });
  const header = res.body.split('\r\n')[0].split(',');
  t.same(header.slice(0, 7), ['START_DATE', 'END_DATE', 'AREA', 'SAFETY', 'TRUST', 'T_LISTEN', 'T_RESPECT']);
  t.ok(header.includes('N_TRUST') && header.includes('TRUST_CI_LOW') && header.includes('T_RESPECT_CI_HIGH'));
  t.same(
    rows.map((r) => [r.START_DATE, r.END_DATE, r.AREA]),
    [
      ['2026-03-01', '2026-03-31', 'CITYWIDE'],
      ['2026-04-01', '2026-04-30', 'CITYWIDE'],
      ['2026-03-01', '2026-03-31', `'=HYPERLINK("http://evil.example")`],
      ['2026-04-01', '2026-04-30', `'=HYPERLINK("http://evil.example")`],
      ['2026-03-01', '2026-03-31', 'Alder'],
      ['2026-04-01', '2026-04-30', 'Alder'],
    ],
  );
  const march = rows[4];
  t.same([march.TRUST, march.N_TRUST, march.TRUST_CI_LOW, march.SAFETY], ['', '', '', ''], 'Alder hidden with the small group');
  const april = expected(database, alder.id, '2026-04-01', '2026-04-30', 2.042272); // t(0.975, 30)
  t.equal(rows[5].N_TRUST, '31');
  t.equal(rows[5].TRUST, april.mean.toFixed(2));
  t.equal(rows[5].TRUST_CI_LOW, (april.mean - april.half).toFixed(2));
  t.equal(rows[0].N_TRUST, '57');
  t.equal(rows[0].N_SAFETY, '', 'no one answered safety');

  const bom = await get('/results/export.csv?from=2026-03-01&to=2026-04-30&bom=1');
  t.ok(bom.body.startsWith('\ufeff'));
  t.same(database.sqlite.prepare('SELECT action, entity FROM audit_log').all(), [
    { action: 'export.aggregates', entity: 'survey' },
    { action: 'export.aggregates', entity: 'survey' },
  ]);
});
