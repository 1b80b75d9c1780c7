import type { DataSource } from 'typeorm';
import type { ClientBase } from 'pg';
import type { Publisher } from '../ports/publisher.js';
import { Headers } from '../message.js';
import { type BusLogger, errorFields, silentLogger } from '../logger.js';
import { inSpan, startSendSpan } from '../context/tracing.js';
import { DEFAULT_OUTBOX_BATCH_SIZE } from '../defaults.js';

export interface OutboxRelayOptions {
  readonly batchSize?: number;
  /** Safety net when a NOTIFY is missed (e.g. the listening connection dropped). */
  readonly pollIntervalMs?: number;
  readonly logger?: BusLogger;
  /**
   * Opens the connection the relay LISTENs on while it runs, so a commit wakes it at once; it is
   * released on `stop()`. Without it the relay only polls. `listenConnectionFrom(dataSource)` takes
   * one from the service's own pool.
   */
  readonly listen?: () => Promise<ListenConnection>;
}

/** A PostgreSQL connection held for LISTEN, and how to give it back. */
export interface ListenConnection {
  readonly client: ClientBase;
  release(): void | Promise<void>;
}

/**
 * Takes a LISTEN connection from a TypeORM DataSource's pool, through its public QueryRunner: with
 * the PostgreSQL driver, `QueryRunner.connect()` resolves to the pool's `pg` client.
 */
export function listenConnectionFrom(dataSource: DataSource): () => Promise<ListenConnection> {
  return async () => {
    const runner = dataSource.createQueryRunner();
    const client = (await runner.connect()) as ClientBase;
    return { client, release: () => runner.release() };
  };
}

interface OutboxRow {
  id: string;
  event_id: string;
  subject: string;
  /** The stored JSON as text: published as it is, never parsed and serialised again on the way. */
  payload: string;
  headers: Record<string, string>;
}

const textEncoder = new TextEncoder();

/** Any number stable per database; replicas of one service contend for the same lock. */
const RELAY_LOCK_KEY = 0x6f7574626f78; // "outbox"

/** How soon a lost LISTEN connection is opened again, doubling up to the maximum while it fails. */
const RELISTEN_FIRST_DELAY_MS = 100;
const RELISTEN_MAX_DELAY_MS = 5_000;

/**
 * The commit-safe horizon for this database, as of the statement's snapshot: the oldest transaction
 * still running *in this database* (only those can still add outbox rows here), else the snapshot's
 * xmax. Transactions of other databases on the same server — another service's slow SMTP send, a
 * stuck migration — do not hold this relay back. The backends' transaction ids come from
 * pg_stat_get_activity, read after the snapshot was taken (while the statement runs); where this
 * role may not see another role's sessions in this database, it falls back to the server-wide
 * xmin, which is always safe.
 *
 * The functions behind the pg_stat_activity and pg_prepared_xacts views, read once: the views join
 * the role and database catalogs, and planning them twice made this ~2 ms a batch instead of ~0.4.
 */
const COMMIT_SAFE_HORIZON = `
  WITH this_database AS (SELECT oid FROM pg_database WHERE datname = current_database()),
       sessions AS (
         SELECT query, backend_xid FROM pg_stat_get_activity(NULL)
          WHERE datid = (SELECT oid FROM this_database))
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM sessions WHERE query = '<insufficient privilege>')
      THEN pg_snapshot_xmin(pg_current_snapshot())
    ELSE COALESCE(
      (SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) AS running
        WHERE running::xid IN (
          SELECT backend_xid FROM sessions WHERE backend_xid IS NOT NULL
          UNION ALL
          SELECT transaction FROM pg_prepared_xact() WHERE dbid = (SELECT oid FROM this_database))),
      pg_snapshot_xmax(pg_current_snapshot()))
  END`;

/**
 * Moves committed outbox rows to the broker, and deletes each once the stream has acked it: a row in
 * `outbox_messages` is an event not yet published; the stream is the record of what was.
 *
 * - Only rows whose transaction is older than every transaction still running in this database
 *   are read ({@link COMMIT_SAFE_HORIZON}), in transaction order, so rows are published in
 *   commit-safe order and a row that commits late is never overtaken — while transactions in other
 *   databases of the same server (other services) never hold it back.
 * - Each batch runs under a transaction-scoped advisory lock: replicas of a service take turns,
 *   never publish the same rows at once, and a crashed relay's lock vanishes with its connection.
 * - Publishes are pipelined (all sent, then all acks awaited); a row is deleted only once the stream
 *   acked it, in the batch's transaction. A crash between publish and delete republishes the row:
 *   the broker drops it by `Nats-Msg-Id` within the dedup window, and consumers are idempotent
 *   beyond it.
 * - Each publish is a `send` span, a child of and linked to the creation context stored with the row.
 * - A commit wakes it through LISTEN/NOTIFY; a lost LISTEN connection (say PostgreSQL restarted)
 *   is opened again with backoff, and polling covers the gap.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly logger: BusLogger;
  private readonly openListener?: () => Promise<ListenConnection>;
  private running = false;
  private loop?: Promise<void>;
  private wakeSleeper?: () => void;
  /** Set by a wake-up that came while the relay was busy, so the next sleep returns at once instead of losing it. */
  private wokenWhileBusy = false;
  private listener?: ListenConnection;
  private relistenTimer?: NodeJS.Timeout;
  private relistenDelayMs = RELISTEN_FIRST_DELAY_MS;
  /** Rows published since start; exposed for metrics and the benchmark. */
  published = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: Publisher,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_OUTBOX_BATCH_SIZE;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.logger = options.logger ?? silentLogger;
    this.openListener = options.listen;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.relistenTimer);
    this.relistenTimer = undefined;
    this.wake();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.client.removeAllListeners('notification');
      await listener.client.query('UNLISTEN outbox_messages').catch(() => undefined);
      await listener.release();
    }
  }

  /** Whether a LISTEN connection is up (commits wake the relay at once); false while it only polls. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Publishes one batch; returns how many rows were published. Public for tests and the benchmark. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      // Four round trips per batch with its BEGIN and COMMIT, five with rows (it was seven: each
      // statement is a socket write and a wake-up of PostgreSQL, the relay's main cost under load).
      //
      // The horizon is computed with the lock, and the rows are read in the next statement. Every
      // transaction below the horizon had ended when pg_stat_get_activity was read (it ended before
      // the snapshot, or it was no longer running then), so the next statement's snapshot, taken after
      // that read, sees all it committed: nothing below the horizon is left behind while later rows
      // go out. (Read in one statement, a transaction could end between the read's snapshot and the
      // activity read: below the horizon, yet invisible — overtaken.)
      //
      // enable_sort off, for this transaction only: the batch must come from the relay-order index
      // in its order, stopping at the batch size. The table's statistics usually say it is nearly
      // empty (true until a backlog), so the planner would rather collect every row and sort them:
      // on a backlog each batch then read all of it (34 ms instead of 1.6 ms per batch with 15k
      // pending), and a 30k backlog drained at ~9k rows/s instead of ~21k. jit off with it:
      // a plan that had to sort anyway would be priced so high that PostgreSQL compiled it (~240 ms
      // per batch, seen while the query sorted by the wrong column).
      //
      // synchronous_commit off, for this transaction only: its COMMIT does not wait for the WAL flush
      // (~2 ms a batch). A PostgreSQL crash can then lose only its deletes, never a row that was not
      // published: those rows go out again and the stream drops them by their Nats-Msg-Id, as after a
      // relay crash before the delete.
      const [{ locked, horizon }]: Array<{ locked: boolean; horizon: string }> = await tx.query(
        `SELECT pg_try_advisory_xact_lock($1) AS locked, (${COMMIT_SAFE_HORIZON})::text AS horizon,
                set_config('enable_sort', 'off', true) AS ordered_reads_only, set_config('jit', 'off', true) AS no_jit,
                set_config('synchronous_commit', 'off', true) AS no_flush_wait`,
        [RELAY_LOCK_KEY],
      );
      if (!locked) return 0;
      const rows: OutboxRow[] = await tx.query(
        `SELECT id, event_id, subject, payload::text AS payload, headers
           FROM outbox_messages
          WHERE transaction_id < $1::xid8
          ORDER BY transaction_id, id
          LIMIT $2`,
        [horizon, this.batchSize],
      );
      if (rows.length === 0) return 0;
      const results = await Promise.allSettled(
        rows.map((row) =>
          // A `send` span per row, in the trace of the request that wrote it; the message keeps the
          // row's headers, so consumers continue from the producer's (create) span.
          inSpan(startSendSpan({ subject: row.subject, messageId: row.event_id }, row.headers), () =>
            this.publisher.publish({
              id: row.event_id,
              subject: row.subject,
              payload: textEncoder.encode(row.payload),
              headers: { ...row.headers, [Headers.MessageId]: row.event_id },
            }),
          ),
        ),
      );
      const publishedIds = rows.filter((_, i) => results[i]?.status === 'fulfilled').map((row) => row.id);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        this.logger.warn('outbox publish failed; rows stay pending', {
          ...errorFields(failure.reason),
          failed: rows.length - publishedIds.length,
        });
      }
      if (publishedIds.length > 0) {
        // Deleted, not marked: marking wrote a new version of each row with three index entries
        // (~3.7 ms of a 500-row batch in the server; deleting takes ~0.6 ms). See the migration.
        await tx.query(`DELETE FROM outbox_messages WHERE id = ANY($1::bigint[])`, [publishedIds]);
      }
      this.published += publishedIds.length;
      return publishedIds.length;
    });
  }

  /** Rows committed but not yet published. */
  async pendingRows(): Promise<number> {
    const [{ pending }] = await this.dataSource.query(
      `SELECT count(*)::int AS pending FROM outbox_messages`,
    );
    return Number(pending);
  }

  /** Seconds between the oldest pending row's creation and now (0 when nothing is pending). */
  async lagSeconds(): Promise<number> {
    const [{ lag }] = await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS lag
         FROM outbox_messages`,
    );
    return Number(lag);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let published = 0;
      try {
        published = await this.relayOnce();
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.error('outbox relay batch failed', errorFields(error));
      }
      // A full batch means more may be waiting: go again at once. Otherwise sleep until woken.
      if (published < this.batchSize || failures > 0) {
        const backoff = failures > 0 ? Math.min(30_000, this.pollIntervalMs * 2 ** Math.min(failures, 5)) : this.pollIntervalMs;
        await this.sleep(backoff);
      }
    }
  }

  /** Ends the current sleep now, or — when a batch is running — the next one before it starts. */
  private wake(): void {
    if (this.wakeSleeper) this.wakeSleeper();
    else this.wokenWhileBusy = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.wokenWhileBusy) {
      // A commit notified while the last batch ran, maybe after its snapshot: look again now.
      this.wokenWhileBusy = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private async listen(): Promise<void> {
    if (!this.openListener || !this.running) return;
    let listener: ListenConnection | undefined;
    try {
      listener = await this.openListener();
      const opened = listener;
      opened.client.on('notification', () => this.wake());
      // A dropped connection (PostgreSQL restarted, network cut) says so with 'error' and/or 'end'.
      opened.client.on('error', (error) => this.listenerLost(opened, error));
      opened.client.on('end', () => this.listenerLost(opened, new Error('connection ended')));
      await opened.client.query('LISTEN outbox_messages');
      if (!this.running) return void (await opened.release());
      this.listener = opened;
      this.relistenDelayMs = RELISTEN_FIRST_DELAY_MS;
      // Rows committed while nobody listened have sent their NOTIFY into the void: look now.
      this.wake();
    } catch (error) {
      if (listener) await Promise.resolve(listener.release()).catch(() => undefined);
      this.logger.warn('could not LISTEN for outbox notifications; polling until it can', errorFields(error));
      this.relistenLater();
    }
  }

  private listenerLost(listener: ListenConnection, error: unknown): void {
    if (this.listener !== listener) return; // already handled, or not yet listening (listen() handles it)
    this.listener = undefined;
    listener.client.removeAllListeners('notification');
    // The pool discards a client whose connection broke instead of handing it out again.
    void Promise.resolve(listener.release()).catch(() => undefined);
    this.logger.warn('outbox LISTEN connection lost; polling until it is back', errorFields(error));
    this.relistenLater();
  }

  private relistenLater(): void {
    if (!this.running || this.relistenTimer) return;
    const delay = this.relistenDelayMs;
    this.relistenDelayMs = Math.min(RELISTEN_MAX_DELAY_MS, delay * 2);
    this.relistenTimer = setTimeout(() => {
      this.relistenTimer = undefined;
      void this.listen();
    }, delay);
  }
}
