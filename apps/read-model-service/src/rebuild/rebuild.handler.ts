import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ServiceLogger } from '@eventshop/platform';
import { EVENT_HISTORY, type EventHistory, type StoredEvent } from '../read-model/domain/event-history.port.js';
import { asProjectable, type ProjectedEvent, projectedContractFor } from '../read-model/domain/projected-event.js';
import {
  createProjectionTables,
  LIVE_SCHEMA,
  REBUILD_SCHEMA,
  RETIRED_SCHEMA,
} from '../read-model/infrastructure/projection-tables.js';
import { ProjectionWriter } from '../read-model/infrastructure/projection-writer.js';
import { excludeLiveProjection } from '../read-model/infrastructure/schema-swap-lock.js';

/** Events written per transaction while replaying. */
const REPLAY_BATCH_SIZE = 500;
/** Held for the whole rebuild (session-level), so two rebuilds never interleave. */
const REBUILD_LOCK = 'read-model:rebuild';

export interface RebuildSummary {
  /** Events projected into the new generation. */
  readonly eventsProjected: number;
  /** Stored messages the live consumer would not project either: unknown types, broken contracts. */
  readonly eventsSkipped: number;
  /** The newest stream position the new generation includes. */
  readonly lastSequence: number;
  readonly durationMs: number;
}

/** Another rebuild (from the CLI, the admin endpoint or a replica) is still running. */
export class RebuildAlreadyRunningError extends Error {
  constructor() {
    super('A rebuild of the read model is already running');
    this.name = 'RebuildAlreadyRunningError';
  }
}

interface Progress {
  eventsProjected: number;
  eventsSkipped: number;
  /** Everything up to here has been written into the new generation. */
  lastSequence: number;
}

type InTransaction = (work: (transaction: EntityManager) => Promise<void>) => Promise<void>;

/**
 * Rebuilds the read model from the complete event history, next to the live one, and swaps it in.
 *
 * 1. Replay the stream from its start into fresh tables (schema `read_model_rebuild`) while the
 *    live tables keep answering queries and the live consumer keeps projecting into them.
 * 2. Replay what arrived meanwhile, still without stopping anyone.
 * 3. In one transaction: take the swap lock exclusively (it waits for the live projection
 *    transactions in flight and holds off new ones), replay up to the stream's last position *read
 *    after taking the lock*, rename `read_model` away and `read_model_rebuild` into its place.
 * Then drop the old generation. Queries never wait: a query is one statement and reads whichever
 * generation was live when it started.
 *
 * Why no event is lost: a live transaction that committed before the lock projected an event
 * that was already in the stream, so at or below the position read in step 3, which the new
 * generation includes. Every later live transaction writes into the new generation (it takes the
 * shared lock before touching a table, so it resolves `read_model` after the rename). Events the
 * new generation already holds but the live consumer has not processed yet are projected again
 * after the swap, which changes nothing: the projections are idempotent whatever their order.
 */
@Injectable()
export class RebuildReadModelHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ProjectionWriter,
    @Inject(EVENT_HISTORY) private readonly history: EventHistory,
    private readonly logger: ServiceLogger,
  ) {}

  /** Runs a rebuild to the end; RebuildAlreadyRunningError when one is already under way. */
  async execute(): Promise<RebuildSummary> {
    return this.alone(async () => {
      const startedAt = Date.now();
      const progress: Progress = { eventsProjected: 0, eventsSkipped: 0, lastSequence: 0 };
      const ownTransactions: InTransaction = (work) => this.dataSource.transaction(work);
      this.logger.info('read model rebuild started');

      await this.dataSource.transaction(async (transaction) => {
        // Leftovers of a rebuild that crashed: nobody else uses them while we hold the rebuild lock.
        await transaction.query(`DROP SCHEMA IF EXISTS ${REBUILD_SCHEMA} CASCADE`);
        await transaction.query(`DROP SCHEMA IF EXISTS ${RETIRED_SCHEMA} CASCADE`);
        await createProjectionTables(transaction, REBUILD_SCHEMA);
      });
      await this.replayUpTo(await this.history.lastSequence(), progress, ownTransactions);
      await this.replayUpTo(await this.history.lastSequence(), progress, ownTransactions);

      await this.dataSource.transaction(async (transaction) => {
        await excludeLiveProjection(transaction);
        await this.replayUpTo(await this.history.lastSequence(), progress, (work) => work(transaction));
        await transaction.query(`ALTER SCHEMA ${LIVE_SCHEMA} RENAME TO ${RETIRED_SCHEMA}`);
        await transaction.query(`ALTER SCHEMA ${REBUILD_SCHEMA} RENAME TO ${LIVE_SCHEMA}`);
      });
      // Waits only for queries still reading the old generation.
      await this.dataSource.query(`DROP SCHEMA ${RETIRED_SCHEMA} CASCADE`);

      const summary: RebuildSummary = { ...progress, durationMs: Date.now() - startedAt };
      this.logger.info('read model rebuilt and swapped in', { ...summary });
      return summary;
    });
  }

  private async replayUpTo(lastSequence: number, progress: Progress, inTransaction: InTransaction): Promise<void> {
    for await (const batch of this.history.read(progress.lastSequence + 1, lastSequence, REPLAY_BATCH_SIZE)) {
      await inTransaction(async (transaction) => {
        for (const stored of batch) {
          const projected = toProjected(stored);
          if (typeof projected === 'string') {
            progress.eventsSkipped++;
            this.logger.warn('rebuild skipped a stored message', { streamSequence: stored.streamSequence, reason: projected });
            continue;
          }
          // No schema-swap lock: this writes its own schema, and the last replay runs inside the
          // swap's transaction, which holds that lock exclusively. The writer still takes the user's lock.
          await this.writer.apply(transaction, REBUILD_SCHEMA, projected);
          progress.eventsProjected++;
        }
      });
    }
    progress.lastSequence = Math.max(progress.lastSequence, lastSequence);
  }

  /** Runs `work` under the session-level rebuild lock, on a connection of its own held throughout. */
  private async alone<T>(work: () => Promise<T>): Promise<T> {
    const lockHolder = this.dataSource.createQueryRunner();
    await lockHolder.connect();
    try {
      const [{ acquired }] = (await lockHolder.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired`, [
        REBUILD_LOCK,
      ])) as Array<{ acquired: boolean }>;
      if (!acquired) throw new RebuildAlreadyRunningError();
      try {
        return await work();
      } finally {
        await lockHolder.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [REBUILD_LOCK]);
      }
    } finally {
      await lockHolder.release();
    }
  }
}

const decoder = new TextDecoder();

/**
 * A stored message as the live consumer would see it: the projected event, or why it is skipped.
 * The live transport drops the same messages (an unknown type is acked and ignored, a broken
 * contract is dead-lettered), so skipping them keeps the rebuilt generation equal to the live one.
 */
function toProjected(stored: StoredEvent): ProjectedEvent | string {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(stored.payload));
  } catch {
    return 'payload is not JSON';
  }
  const { type, version } = (body ?? {}) as { type?: unknown; version?: unknown };
  const contract = typeof type === 'string' && typeof version === 'number' ? projectedContractFor(type, version) : undefined;
  if (!contract) return `not a projected event type (${String(type)} v${String(version)})`;
  const parsed = contract.safeParse(body);
  if (!parsed.success) return `violates its contract: ${parsed.issues.join('; ')}`;
  return { event: asProjectable(parsed.envelope), streamSequence: stored.streamSequence };
}
