import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { processOnce } from './inbox.js';
import { createTestDatabase } from '../testing/test-infrastructure.js';

describe('inbox / processOnce (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`CREATE TABLE effects (event_id TEXT NOT NULL)`);
  });
  afterAll(() => db.drop());

  const effectsOf = async (id: string) =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM effects WHERE event_id = $1`, [id]))[0].n as number;
  const work = (id: string) => (tx: import('typeorm').EntityManager) => tx.query(`INSERT INTO effects VALUES ($1)`, [id]);

  it('applies an event once; a redelivery is skipped', async () => {
    expect((await processOnce(db.dataSource, 'h', 'e-1', work('e-1'))).processed).toBe(true);
    expect((await processOnce(db.dataSource, 'h', 'e-1', work('e-1'))).processed).toBe(false);
    expect(await effectsOf('e-1')).toBe(1);
  });

  it('keeps handlers apart: another handler still processes the same event', async () => {
    expect((await processOnce(db.dataSource, 'other', 'e-1', async () => undefined)).processed).toBe(true);
  });

  it('records nothing when the work fails, so a retry runs it again', async () => {
    await expect(
      processOnce(db.dataSource, 'h', 'e-2', async (tx) => {
        await work('e-2')(tx);
        throw new Error('smtp down');
      }),
    ).rejects.toThrow('smtp down');
    expect(await effectsOf('e-2')).toBe(0);
    expect((await processOnce(db.dataSource, 'h', 'e-2', work('e-2'))).processed).toBe(true);
    expect(await effectsOf('e-2')).toBe(1);
  });

  it('serialises concurrent deliveries of one event: exactly one applies it', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        processOnce(db.dataSource, 'h', 'e-3', async (tx) => {
          await new Promise((r) => setTimeout(r, 20));
          await work('e-3')(tx);
        }),
      ),
    );
    expect(results.filter((r) => r.processed)).toHaveLength(1);
    expect(await effectsOf('e-3')).toBe(1);
  });
});
