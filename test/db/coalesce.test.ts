import t from 'tap';
import { coalesce } from '../../src/db/pg/coalesce.js';

t.test('callers are answered by a call that started after they asked, sharing it with everyone who asked meanwhile', async (t) => {
  const calls: { items: string[]; finish: () => void }[] = [];
  const run = coalesce<string>((items) => new Promise<void>((finish) => calls.push({ items: [...items], finish })));
  const answered: string[] = [];
  const ask = (item: string) => run([item]).then(() => answered.push(item));
  const first = ask('a');
  const second = ask('b');
  const third = ask('c');
  t.equal(calls.length, 1, 'one call at a time');
  t.same(calls[0].items, ['a']);
  calls[0].finish();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  t.same(answered, ['a'], 'b and c asked after the first call started: it does not answer them');
  t.equal(calls.length, 2);
  t.same(calls[1].items, ['b', 'c'], 'the next call carries everything asked for meanwhile');
  const fourth = ask('d');
  calls[1].finish();
  await Promise.all([second, third]);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(answered, ['a', 'b', 'c']);
  t.same(calls[2].items, ['d']);
  calls[2].finish();
  await fourth;
});

t.test('a failed call fails its callers only; the next one still runs', async (t) => {
  let attempt = 0;
  const run = coalesce<string>(async () => {
    attempt++;
    await new Promise((resolve) => setImmediate(resolve));
    if (attempt === 1) throw new Error('lost');
  });
  const failing = run(['a']);
  const next = run(['b']);
  await t.rejects(failing, /lost/);
  await next;
  t.equal(attempt, 2);
});
