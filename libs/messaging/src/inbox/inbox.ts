import type { DataSource, EntityManager } from 'typeorm';

/** What the inbox remembers: one handler (by its registration's name) has processed one event. */
export interface InboxKey {
  readonly handler: string;
  readonly eventId: string;
}

export type HandleOnceResult<T> = { readonly processed: true; readonly result: T } | { readonly processed: false };

/**
 * A call to the outside world an event asks for (an SMTP send), for handlers whose effect is not
 * only database writes. No transaction is open while it runs: `work` records the intent and commits,
 * the effect runs, and `afterEffect` records that it happened, in a second short transaction.
 */
export interface OutsideEffect {
  /**
   * The outside call. It runs after the intent (`work` and the inbox row, marked "effect pending")
   * has committed, outside any transaction, and again on every later delivery of the event until a
   * run of it has been recorded: after a failure, and after a crash between the outside world's
   * "accepted" and that record. Make it recognisable when repeated (an email's Message-ID derived
   * from the event id and kind), and build it from the event alone: a repeat does not run `work`.
   */
  readonly effect: () => Promise<void>;
  /**
   * Writes that record the effect happened (the sent-email row → `sent`, a follow-up event through
   * the outbox), committed together with the inbox row's "effect done" mark, once per event.
   */
  readonly afterEffect?: (transaction: EntityManager) => Promise<void>;
}

/**
 * One event for one handler, to be handled at most once: the idempotent consumer. The router hands
 * every delivery one, keyed by the handler's registration name and the event's id
 * (`HandlerContext.once`, `@Ctx() context: JetStreamContext` → `context.once` in Nest).
 */
export class HandleOnce {
  constructor(
    private readonly dataSource: DataSource,
    readonly key: InboxKey,
  ) {}

  /**
   * Runs `work` (the handler's writes: its state, outbox events) in one transaction with the inbox
   * row, unless this handler processed this event before; then nothing runs and the result says
   * `processed: false`. If anything throws, nothing is recorded and a redelivery runs it again.
   *
   * With an outside effect (see OutsideEffect) it runs in three steps, and no transaction is open
   * across the outside call:
   * 1. `work` and the inbox row, marked "effect pending", in one short transaction (the intent);
   * 2. the effect, outside any transaction;
   * 3. the inbox row marked "effect done" and `afterEffect`, in a second short transaction.
   * A delivery that finds the intent but no "done" (the effect failed, or the process died before
   * step 3) skips `work` and repeats steps 2 and 3; one that finds "done" is skipped. The result is
   * `processed: true` for the delivery that completed step 3; its `result` is what `work` returned
   * when this delivery ran it, `undefined` when it completed an earlier delivery's intent.
   */
  run<T>(work: (transaction: EntityManager) => Promise<T>): Promise<HandleOnceResult<T>>;
  run<T>(work: (transaction: EntityManager) => Promise<T>, outside: OutsideEffect): Promise<HandleOnceResult<T | undefined>>;
  async run<T>(work: (transaction: EntityManager) => Promise<T>, outside?: OutsideEffect): Promise<HandleOnceResult<T | undefined>> {
    const intent = await this.recordOnce(work, outside !== undefined);
    if (!outside) return intent.state === 'claimed' ? { processed: true, result: intent.result } : { processed: false };
    if (intent.state === 'done') return { processed: false };
    await outside.effect();
    // False when a concurrent delivery of the same event recorded it first: that one processed it.
    if (!(await this.recordEffectDone(outside.afterEffect))) return { processed: false };
    return { processed: true, result: intent.state === 'claimed' ? intent.result : undefined };
  }

  /**
   * The first transaction: the inbox row is claimed first, then `work` runs. The claim is one
   * INSERT … ON CONFLICT DO NOTHING: a redelivery racing a slow first attempt waits on the row's
   * key until that one commits (then finds the row) or rolls back (then claims it itself), so they
   * never run alongside. One statement where a lock, a look-up and a late insert took three: the
   * round trips, not the SQL, are what an event costs (bench:shop). Only an event seen before costs
   * a second statement, to read how far it got.
   *
   * The claim gives the transaction its id at once; `work` must stay short, as every handler's
   * does (a few writes): a relay in this database waits for running writers.
   */
  private recordOnce<T>(
    work: (transaction: EntityManager) => Promise<T>,
    effectPending: boolean,
  ): Promise<{ state: 'claimed'; result: T } | { state: 'effectPending' } | { state: 'done' }> {
    const { handler, eventId } = this.key;
    return this.dataSource.transaction(async (transaction) => {
      const claimed: unknown[] = await transaction.query(
        `INSERT INTO inbox_messages (handler, event_id, effect_pending) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
        [handler, eventId, effectPending],
      );
      if (claimed.length === 0) {
        const [seen]: Array<{ effect_pending: boolean }> = await transaction.query(
          `SELECT effect_pending FROM inbox_messages WHERE handler = $1 AND event_id = $2`,
          [handler, eventId],
        );
        return seen?.effect_pending ? { state: 'effectPending' } : { state: 'done' };
      }
      return { state: 'claimed', result: await work(transaction) };
    });
  }

  /** The second transaction: "effect done" and what records it, once. */
  private recordEffectDone(afterEffect: OutsideEffect['afterEffect']): Promise<boolean> {
    const { handler, eventId } = this.key;
    return this.dataSource.transaction(async (transaction) => {
      // One statement marks it done and says whether this delivery did: a racing delivery's UPDATE
      // waits on the row lock, then finds effect_pending false and updates nothing.
      // (As a CTE: TypeORM returns an UPDATE's rows with its row count, a SELECT's rows alone.)
      const [{ marked }]: Array<{ marked: number }> = await transaction.query(
        `WITH done AS (
           UPDATE inbox_messages SET effect_pending = false, processed_at = now()
            WHERE handler = $1 AND event_id = $2 AND effect_pending
           RETURNING event_id)
         SELECT count(*)::int AS marked FROM done`,
        [handler, eventId],
      );
      if (marked === 0) return false;
      await afterEffect?.(transaction);
      return true;
    });
  }
}

/** The idempotent-consumer store of one service database: hands out a `HandleOnce` per key. */
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  once(key: InboxKey): HandleOnce {
    return new HandleOnce(this.dataSource, key);
  }
}
