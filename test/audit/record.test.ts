import { join } from 'node:path';
import t from 'tap';
import { recordAudit } from '../../src/audit/record.js';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { tempDir } from '../helper/app.js';

t.test('audit entries are written with the transaction they belong to', async (t) => {
  const handle = openDatabase(join(tempDir(t), 'audit.db'));
  t.teardown(() => handle.close());
  recordAudit(handle.db, { userId: null, action: 'survey.open', entity: 'survey', entityId: 1, details: { from: 'draft' } });
  t.throws(() =>
    handle.db.transaction((tx) => {
      recordAudit(tx, { userId: null, action: 'survey.close', entity: 'survey', entityId: 1 });
      throw new Error('the change failed');
    }),
  );
  const rows = handle.sqlite.prepare('SELECT action, entity, entity_id, details, at FROM audit_log').all() as Record<string, string>[];
  t.equal(rows.length, 1, 'the rolled-back entry is gone');
  t.same({ ...rows[0], at: undefined }, { action: 'survey.open', entity: 'survey', entity_id: '1', details: '{"from":"draft"}', at: undefined });
  t.match(rows[0].at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});
