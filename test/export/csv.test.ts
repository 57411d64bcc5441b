import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import t from 'tap';
import { csvStringifier, neutralise, unneutralise } from '../../src/export/csv.js';

async function toCsv(records: string[][], bom = false): Promise<string> {
  const csv = csvStringifier({ bom });
  const chunks: Buffer[] = [];
  csv.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
  const done = new Promise((resolve) => csv.on('end', resolve));
  for (const r of records) csv.write(r);
  csv.end();
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

t.test('every formula start is neutralised, the rest untouched', async (t) => {
  for (const start of ['=', '+', '-', '@', '\t', '\r', '\0', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'])
    t.equal(neutralise(`${start}x`), `'${start}x`, JSON.stringify(start));
  for (const plain of ['x', '', "'=x", ' =x', '5', 'ñ', '-3', '-12.5']) t.equal(neutralise(plain), plain);
  for (const formula of ['-3+cmd', '-1.', '-2,5', '-1e9']) t.equal(neutralise(formula), `'${formula}`, 'only a plain negative number is left');
  t.equal(unneutralise("'=x"), '=x');
  t.equal(unneutralise("'plain"), "'plain", "a ' before ordinary text is the writer's own");
});

t.test('RFC 4180: CRLF records, quoted fields with quotes, commas, CR or LF; BOM on request', async (t) => {
  const csv = await toCsv(
    [
      ['a', 'b,c'],
      ['say "hi"', 'one\ntwo'],
      ['lone\rcr', 'ñ'],
    ],
    true,
  );
  t.equal(csv, '\ufeffa,"b,c"\r\n"say ""hi""","one\ntwo"\r\n"lone\rcr",ñ\r\n');
});

t.test('any text survives export and import (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
      async (records) => {
        const width = records[0].length;
        const rows = records.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        const parsed: string[][] = parse(await toCsv(rows));
        const back = parsed.map((r) => r.map(unneutralise));
        // A text that itself starts with ' before a formula character is the one ambiguous case.
        const expected = rows.map((r) => r.map((c) => unneutralise(c)));
        return JSON.stringify(back) === JSON.stringify(expected);
      },
    ),
    { numRuns: 200 },
  );
});
