import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, QueryRunner } from 'typeorm';
import { eventually } from '@eventshop/messaging/testing';
import { createReadModelDatabase } from '../../testing/service.fixture.js';
import { createProjectionTables, LIVE_SCHEMA, REBUILD_SCHEMA, RETIRED_SCHEMA } from './projection-tables.js';
import { excludeLiveProjection, holdOffSchemaSwap } from './schema-swap-lock.js';

// The handshake the rebuild relies on, against a real PostgreSQL: the swap waits for live
// projection transactions in flight, and a live transaction held off by a swap writes into the new
// generation once it is swapped in.
describe('schema swap lock (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createReadModelDatabase>>;
  let dataSource: DataSource;
  const open: QueryRunner[] = [];

  beforeAll(async () => {
    db = await createReadModelDatabase();
    dataSource = db.dataSource;
  });
  afterAll(async () => {
    await Promise.all(open.map((runner) => runner.release()));
    await db.drop();
  });

  async function transaction(): Promise<QueryRunner> {
    const runner = dataSource.createQueryRunner();
    open.push(runner);
    await runner.connect();
    await runner.startTransaction();
    return runner;
  }

  /** Transactions of this database blocked on an advisory lock: the real signal of waiting, no sleeping. */
  const blockedBackends = async (): Promise<number> => {
    const [{ n }] = (await dataSource.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    )) as Array<{ n: number }>;
    return n;
  };

  it('serialises a swap with live projection transactions, and live writes land in the new generation', async () => {
    await createProjectionTables(dataSource, REBUILD_SCHEMA);
    const userInNewGeneration = '00000000-0000-4000-8000-000000000001';

    // A live projection transaction is in flight: it holds the lock shared.
    const live = await transaction();
    await holdOffSchemaSwap(live);

    // The swap has to wait for it.
    const swap = await transaction();
    let swapHasLock = false;
    const swapLocked = excludeLiveProjection(swap).then(() => (swapHasLock = true));
    await eventually(async () => ((await blockedBackends()) === 1 ? true : undefined), 20_000, 'the swap to wait for the live transaction');
    expect(swapHasLock).toBe(false);

    await live.commitTransaction();
    await swapLocked;

    // While the swap holds it, a new live transaction waits…
    const nextLive = await transaction();
    const nextLiveWrote = holdOffSchemaSwap(nextLive).then(() =>
      nextLive.query(`INSERT INTO ${LIVE_SCHEMA}.users (user_id) VALUES ($1)`, [userInNewGeneration]),
    );
    await eventually(
      async () => ((await blockedBackends()) === 1 ? true : undefined),
      20_000,
      'the next live transaction to wait for the swap',
    );

    await swap.query(`ALTER SCHEMA ${LIVE_SCHEMA} RENAME TO ${RETIRED_SCHEMA}`);
    await swap.query(`ALTER SCHEMA ${REBUILD_SCHEMA} RENAME TO ${LIVE_SCHEMA}`);
    await swap.commitTransaction();

    // …and then resolves read_model.users to the table swapped in, not to the retired one.
    await nextLiveWrote;
    await nextLive.commitTransaction();
    const inNew = (await dataSource.query(`SELECT count(*)::int AS n FROM ${LIVE_SCHEMA}.users WHERE user_id = $1`, [userInNewGeneration])) as Array<{ n: number }>;
    const inRetired = (await dataSource.query(`SELECT count(*)::int AS n FROM ${RETIRED_SCHEMA}.users WHERE user_id = $1`, [userInNewGeneration])) as Array<{ n: number }>;
    expect({ inNew: inNew[0].n, inRetired: inRetired[0].n }).toEqual({ inNew: 1, inRetired: 0 });
  });
});
