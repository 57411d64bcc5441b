import { sql } from 'drizzle-orm';
import t from 'tap';
import { audit } from '../../src/audit/record.js';
import { openTestStore } from '../helper/app.js';

t.test('audit entries are written with the transaction they belong to', async (t) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  await store.transaction((tx) => audit(tx, store.tables, { userId: null, action: 'survey.open', entity: 'survey', entityId: 1, details: { from: 'draft' } }));
  await t.rejects(
    store.transaction(async (tx) => {
      await audit(tx, store.tables, { userId: null, action: 'survey.close', entity: 'survey', entityId: 1 });
      throw new Error('the change failed');
    }),
  );
  const rows = await store.read((db) => store.rows<Record<string, string>>(db, sql`SELECT action, entity, entity_id, details, at FROM audit_log`));
  t.equal(rows.length, 1, 'the rolled-back entry is gone');
  // Details as JSON text: PostgreSQL's jsonb spaces it its own way.
  t.same(
    { ...rows[0], details: JSON.parse(rows[0].details), at: undefined },
    { action: 'survey.open', entity: 'survey', entity_id: '1', details: { from: 'draft' }, at: undefined },
  );
  t.match(rows[0].at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});
