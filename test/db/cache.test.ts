import t from 'tap';
import { createScopedCache } from '../../src/db/cache.js';

t.test('values of a kind kept few: the oldest of that kind goes, other kinds stay', async (t) => {
  const cache = createScopedCache();
  const reads: string[] = [];
  const get = (key: string, keep?: number) =>
    cache.get(
      'figures',
      key,
      async () => {
        reads.push(key);
        return key;
      },
      { keep },
    );
  await get('cell:1');
  for (const key of ['view:a', 'view:b', 'view:c']) await get(key, 2);
  await get('view:b', 2);
  await get('view:a', 2);
  t.same(reads, ['cell:1', 'view:a', 'view:b', 'view:c', 'view:a'], 'two views kept: the first went when the third came');
  await get('cell:1');
  t.equal(reads.length, 5, 'a value of another kind is still there');
});

t.test('values kept by size: big values make room by pushing out the oldest, empty ones cost almost nothing', async (t) => {
  const cache = createScopedCache();
  const reads: string[] = [];
  const get = (key: string, rows: number) =>
    cache.get(
      'figures',
      key,
      async () => {
        reads.push(key);
        return Array.from({ length: rows }, (_, i) => i);
      },
      { keep: 100, size: (value) => value.length },
    );
  for (let i = 0; i < 50; i++) await get(`cell:empty-${i}`, 0);
  await get('cell:a', 40);
  await get('cell:b', 40);
  t.equal(reads.length, 52, 'each read once');
  reads.length = 0;
  await get('cell:a', 40);
  await get('cell:b', 40);
  t.same(reads, [], 'the two big values are kept: the oldest empty ones went to make room');
  await get('cell:c', 40);
  await get('cell:a', 40);
  t.same(reads, ['cell:c', 'cell:a'], 'a third big one pushed out the oldest big one');
  await get('cell:too-big', 500);
  reads.length = 0;
  await get('cell:too-big', 500);
  t.same(reads, [], 'a value larger than the whole budget is still kept, alone, until the next one comes');
  await get('cell:b', 40);
  t.same(reads, ['cell:b'], 'the others went to make room for it');
});

t.test('a changed range empties the figures over it and those that say nothing of their days, nothing else', async (t) => {
  const cache = createScopedCache();
  let reads = 0;
  const get = (key: string, over?: { survey: number; from: string; to: string }) => cache.get('figures', key, async () => ++reads, { over, keep: 10 });
  const march = { survey: 1, from: '2026-03-01', to: '2026-03-31' };
  await Promise.all([get('march:', march), get('any:'), get('april:', { survey: 1, from: '2026-04-01', to: '2026-04-30' })]);
  cache.invalidateRanges([{ survey: 1, from: '2026-03-31', to: '2026-03-31' }]);
  t.same([await get('march:', march), await get('any:'), await get('april:')], [4, 5, 3], 'March and the figure without a range read again, April kept');
  cache.invalidateRanges([{ survey: 2, from: '2026-03-01', to: '2026-04-30' }]);
  t.equal(await get('march:', march), 4, 'another survey: kept');
});
