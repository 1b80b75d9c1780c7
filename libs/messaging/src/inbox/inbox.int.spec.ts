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

  describe('writes first, the outside effect last', () => {
    it('runs the effect after the writes and the inbox row, before COMMIT, with what the work returned', async () => {
      const seenByEffect: Array<{ result: string; committedEffects: number; inboxRowWritten: boolean }> = [];
      /** From another connection: inserting the same inbox row waits on ours, so ours is written (not yet committed). */
      const inboxRowHeldByOthers = () =>
        db.dataSource.transaction(async (other) => {
          await other.query(`SET LOCAL lock_timeout = '200ms'`);
          try {
            await other.query(`INSERT INTO inbox_messages (handler, event_id) VALUES ('h', 'e-4')`);
            return false;
          } catch (error) {
            return /lock timeout/.test((error as Error).message);
          }
        });
      const outcome = await once('e-4').run(
        async (tx) => {
          await work('e-4')(tx);
          return 'message-id-4';
        },
        {
          effect: async (result) => {
            seenByEffect.push({ result, committedEffects: await effectsOf('e-4'), inboxRowWritten: await inboxRowHeldByOthers() });
          },
        },
      );
      expect(outcome).toEqual({ processed: true, result: 'message-id-4' });
      expect(seenByEffect).toEqual([{ result: 'message-id-4', committedEffects: 0, inboxRowWritten: true }]);
      expect(await effectsOf('e-4')).toBe(1);
      expect(await inboxRowsOf('e-4')).toBe(1);
    });

    it('rolls the writes and the inbox row back when the effect fails; the retry runs both again', async () => {
      let sends = 0;
      const send = async () => {
        sends++;
        if (sends === 1) throw new Error('smtp down');
      };
      await expect(once('e-5').run(work('e-5'), { effect: send })).rejects.toThrow('smtp down');
      expect(await effectsOf('e-5')).toBe(0);
      expect(await inboxRowsOf('e-5')).toBe(0);

      expect((await once('e-5').run(work('e-5'), { effect: send })).processed).toBe(true);
      expect(sends).toBe(2);
      expect(await effectsOf('e-5')).toBe(1);
    });

    it('does not run the effect again for an event already handled', async () => {
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
    });
  });
});
