import type { DataSource, EntityManager } from 'typeorm';

/** What the inbox remembers: one handler (by its registration's name) has processed one event. */
export interface InboxKey {
  readonly handler: string;
  readonly eventId: string;
}

export type HandleOnceResult<T> = { readonly processed: true; readonly result: T } | { readonly processed: false };

export interface HandleOnceOptions<T> {
  /**
   * The call to the outside world the event asks for (an SMTP send), for handlers whose effect is
   * not only database writes: **writes first, the outside effect last**. It runs after `work` and the
   * inbox row, as the last step before COMMIT, so once the outside world has accepted it nothing but
   * the COMMIT is left; if it fails, the writes and the inbox row roll back and a redelivery runs
   * everything again. It gets what `work` returned.
   *
   * What no database can close is the instant between the outside world's "accepted" and our
   * COMMIT: a crash there repeats the effect on redelivery, so make it recognisable (an email's
   * Message-ID derived from the event id). The effect holds the transaction open while it runs; a
   * later version may instead run it between two short transactions (record the intent, call
   * outside, record the result) behind this same option.
   */
  readonly effect?: (result: T) => Promise<void>;
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
   * `processed: false`. With `options.effect`, the outside effect follows as the last step before
   * COMMIT (see HandleOnceOptions).
   *
   * In the transaction: an advisory lock on the key, so a redelivery racing a slow first attempt
   * waits for it instead of running alongside; the inbox check; `work`; the inbox row; the effect.
   * The inbox row is written after `work`, so a transaction whose work only reads takes a
   * transaction id at the very end (a long-running writer would hold back every outbox relay on
   * this PostgreSQL server). If anything throws, nothing is recorded and a redelivery runs it again.
   */
  run<T>(work: (transaction: EntityManager) => Promise<T>, options: HandleOnceOptions<T> = {}): Promise<HandleOnceResult<T>> {
    const { handler, eventId } = this.key;
    return this.dataSource.transaction(async (transaction) => {
      await transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${handler}:${eventId}`]);
      const seen: unknown[] = await transaction.query(`SELECT 1 FROM inbox_messages WHERE handler = $1 AND event_id = $2`, [
        handler,
        eventId,
      ]);
      if (seen.length > 0) return { processed: false };
      const result = await work(transaction);
      const claimed: unknown[] = await transaction.query(
        `INSERT INTO inbox_messages (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [handler, eventId],
      );
      // Cannot happen while everyone takes the lock; roll back rather than apply twice.
      if (claimed.length !== 1) throw new Error(`inbox row for ${handler}/${eventId} appeared concurrently`);
      await options.effect?.(result);
      return { processed: true, result };
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
