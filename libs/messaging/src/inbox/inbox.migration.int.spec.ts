import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '../testing/test-infrastructure.js';
import { OutboxDeletesPublishedRows1732300000003 } from '../outbox/outbox-deletes-published.migration.js';

describe('the inbox migration (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const recorded = async () =>
    ((await db.dataSource.query(`SELECT name FROM migrations ORDER BY id`)) as Array<{ name: string }>).map((row) => row.name);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const all = [
    'CreateMessagingTables1732300000000',
    'CreateInboxTable1732300000001',
    'AddInboxEffectPending1732300000002',
    'OutboxDeletesPublishedRows1732300000003',
  ];

  it('creates the outbox and the inbox, each by its own migration', async () => {
    expect(await recorded()).toEqual(all);
    const tables: Array<{ table_name: string }> = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_name IN ('outbox_messages', 'inbox_messages') ORDER BY table_name`,
    );
    expect(tables.map((row) => row.table_name)).toEqual(['inbox_messages', 'outbox_messages']);
  });

  it('leaves a database migrated before the split as it is: its inbox, made by the old migration, is kept', async () => {
    // Such a database ran CreateMessagingTables (which then also made the inbox) and nothing else.
    const runner = db.dataSource.createQueryRunner();
    await new OutboxDeletesPublishedRows1732300000003().down(runner).finally(() => runner.release());
    await db.dataSource.query(`DELETE FROM migrations WHERE name <> 'CreateMessagingTables1732300000000'`);
    await db.dataSource.query(`ALTER TABLE inbox_messages DROP COLUMN effect_pending`);
    await db.dataSource.query(`INSERT INTO inbox_messages (handler, event_id) VALUES ('h', 'processed-before-the-split')`);

    const ran = await db.dataSource.runMigrations({ transaction: 'all' });

    expect(ran.map((migration) => migration.name)).toEqual(all.slice(1));
    expect(await recorded()).toEqual(all);
    expect(await db.dataSource.query(`SELECT handler, event_id, effect_pending FROM inbox_messages`)).toEqual([
      { handler: 'h', event_id: 'processed-before-the-split', effect_pending: false },
    ]);
  });
});
