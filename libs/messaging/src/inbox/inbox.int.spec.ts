import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { Inbox } from './inbox.js';
import { createTestDatabase } from '../testing/test-infrastructure.js';

describe('inbox / HandleOnce (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let inbox: Inbox;

  beforeAll(async () => {
    db = await createTestDatabase();
    inbox = new Inbox(db.dataSource);
    await db.dataSource.query(`CREATE TABLE effects (event_id TEXT NOT NULL)`);
  });
  afterAll(() => db.drop());

  const once = (eventId: string, handler = 'h') => inbox.once({ handler, eventId });
  const effectsOf = async (id: string) =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM effects WHERE event_id = $1`, [id]))[0].n as number;
  const inboxRowsOf = async (id: string) =>
    (await db.dataSource.query(`SELECT count(*)::int AS n FROM inbox_messages WHERE event_id = $1`, [id]))[0].n as number;
  const work = (id: string) => (tx: EntityManager) => tx.query(`INSERT INTO effects VALUES ($1)`, [id]);

  it('applies an event once; a redelivery is skipped', async () => {
    expect(await once('e-1').run(work('e-1'))).toEqual({ processed: true, result: expect.anything() });
    expect(await once('e-1').run(work('e-1'))).toEqual({ processed: false });
    expect(await effectsOf('e-1')).toBe(1);
  });

  it('keeps handlers apart: another handler still processes the same event', async () => {
    expect((await once('e-1', 'other').run(async () => 'mine')).processed).toBe(true);
  });

  it('records nothing when the work fails, so a retry runs it again', async () => {
    await expect(
      once('e-2').run(async (tx) => {
        await work('e-2')(tx);
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await effectsOf('e-2')).toBe(0);
    expect((await once('e-2').run(work('e-2'))).processed).toBe(true);
    expect(await effectsOf('e-2')).toBe(1);
  });

  it('serialises concurrent deliveries of one event: exactly one applies it', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        once('e-3').run(async (tx) => {
          await new Promise((r) => setTimeout(r, 20));
          await work('e-3')(tx);
        }),
      ),
    );
    expect(results.filter((r) => r.processed)).toHaveLength(1);
    expect(await effectsOf('e-3')).toBe(1);
  });

  describe('with an outside effect: record the intent, call outside, record it done', () => {
    const pendingOf = async (id: string) =>
      ((await db.dataSource.query(`SELECT effect_pending FROM inbox_messages WHERE event_id = $1`, [id])) as Array<{ effect_pending: boolean }>).map(
        (row) => row.effect_pending,
      );
    /** Sessions of this database, other than the asking one, inside a transaction (idle or not) or holding a transaction id. */
    const openTransactions = async () =>
      (
        (await db.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND (state LIKE 'idle in transaction%' OR backend_xid IS NOT NULL OR xact_start IS NOT NULL)`,
        )) as Array<{ n: number }>
      )[0]!.n;

    it('commits the intent before the effect runs, holds no transaction open during it, and records it done after', async () => {
      const seenByEffect: Array<{ committedWork: number; pending: boolean[]; openTransactions: number }> = [];
      const outcome = await once('e-4').run(
        async (tx) => {
          await work('e-4')(tx);
          return 'intent-4';
        },
        {
          effect: async () => {
            seenByEffect.push({ committedWork: await effectsOf('e-4'), pending: await pendingOf('e-4'), openTransactions: await openTransactions() });
          },
          afterEffect: (tx) => tx.query(`INSERT INTO effects VALUES ('e-4:done')`),
        },
      );
      expect(outcome).toEqual({ processed: true, result: 'intent-4' });
      expect(seenByEffect).toEqual([{ committedWork: 1, pending: [true], openTransactions: 0 }]);
      expect(await pendingOf('e-4')).toEqual([false]);
      expect(await effectsOf('e-4:done')).toBe(1);
    });

    it('keeps the intent when the effect fails; the redelivery repeats the effect (not the work) and records it once', async () => {
      let sends = 0;
      const send = async () => {
        sends++;
        if (sends === 1) throw new Error('smtp down');
      };
      const recordSent = (tx: EntityManager) => tx.query(`INSERT INTO effects VALUES ('e-5:sent')`);
      await expect(once('e-5').run(work('e-5'), { effect: send, afterEffect: recordSent })).rejects.toThrow('smtp down');
      expect(await effectsOf('e-5')).toBe(1);
      expect(await pendingOf('e-5')).toEqual([true]);
      expect(await effectsOf('e-5:sent')).toBe(0);

      expect(await once('e-5').run(work('e-5'), { effect: send, afterEffect: recordSent })).toEqual({ processed: true, result: undefined });
      expect(sends).toBe(2);
      expect(await effectsOf('e-5')).toBe(1);
      expect(await effectsOf('e-5:sent')).toBe(1);
      expect(await pendingOf('e-5')).toEqual([false]);
    });

    it('does not run the effect again for an event whose effect is recorded done', async () => {
      let sends = 0;
      const send = async () => void sends++;
      await once('e-6').run(work('e-6'), { effect: send });
      expect(await once('e-6').run(work('e-6'), { effect: send })).toEqual({ processed: false });
      expect(sends).toBe(1);
    });

    it('never runs the effect when the writes fail', async () => {
      let sends = 0;
      await expect(
        once('e-7').run(
          async () => {
            throw new Error('constraint violated');
          },
          { effect: async () => void sends++ },
        ),
      ).rejects.toThrow('constraint violated');
      expect(sends).toBe(0);
      expect(await inboxRowsOf('e-7')).toBe(0);
    });

    it('records the effect once when deliveries of one pending intent race (both may call outside)', async () => {
      await expect(once('e-8').run(work('e-8'), { effect: () => Promise.reject(new Error('timeout')) })).rejects.toThrow('timeout');
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          once('e-8').run(work('e-8'), { effect: async () => undefined, afterEffect: (tx) => tx.query(`INSERT INTO effects VALUES ('e-8:sent')`) }),
        ),
      );
      expect(results.filter((r) => r.processed)).toHaveLength(1);
      expect(await effectsOf('e-8:sent')).toBe(1);
      expect(await effectsOf('e-8')).toBe(1);
    });
  });
});
