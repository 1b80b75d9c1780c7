import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '../testing/test-infrastructure.js';
import { OutboxDeletesPublishedRows1732300000003 } from './outbox-deletes-published.migration.js';

describe('the outbox-as-a-queue migration (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const migration = new OutboxDeletesPublishedRows1732300000003();
  const run = async (step: 'up' | 'down') => {
    const runner = db.dataSource.createQueryRunner();
    await migration[step](runner).finally(() => runner.release());
  };
  const stage = (eventId: string, publishedAt: string | null) =>
    db.dataSource.query(
      `INSERT INTO outbox_messages (event_id, subject, aggregate_id, payload, published_at) VALUES ($1, 's', 'a', '{}', $2)`,
      [eventId, publishedAt],
    );
  const indexes = async () =>
    ((await db.dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'outbox_messages' ORDER BY indexname`)) as Array<{
      indexname: string;
    }>).map((row) => row.indexname);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('keeps the rows still pending, drops the published ones, and reads in the relay order from one index', async () => {
    await run('down'); // the outbox as it was: rows marked published_at and kept a day
    await stage('00000000-0000-4000-8000-000000000001', new Date().toISOString());
    await stage('00000000-0000-4000-8000-000000000002', null);
    await stage('00000000-0000-4000-8000-000000000003', null);

    await run('up');

    expect(await db.dataSource.query(`SELECT event_id FROM outbox_messages ORDER BY id`)).toEqual([
      { event_id: '00000000-0000-4000-8000-000000000002' },
      { event_id: '00000000-0000-4000-8000-000000000003' },
    ]);
    const [{ columns }] = await db.dataSource.query(
      `SELECT count(*)::int AS columns FROM information_schema.columns WHERE table_name = 'outbox_messages' AND column_name = 'published_at'`,
    );
    expect(columns).toBe(0);
    expect(await indexes()).toEqual(['outbox_messages_event_id_key', 'outbox_messages_pkey', 'outbox_messages_relay_order']);
  });

  it('goes back down to the marking outbox, keeping what is pending as unpublished', async () => {
    await run('down');
    expect(await db.dataSource.query(`SELECT count(*)::int AS pending FROM outbox_messages WHERE published_at IS NULL`)).toEqual([{ pending: 2 }]);
    expect(await indexes()).toEqual([
      'outbox_messages_event_id_key',
      'outbox_messages_pkey',
      'outbox_messages_published_at',
      'outbox_messages_unpublished',
    ]);
    await run('up');
  });
});
