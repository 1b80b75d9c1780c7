import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ClientBase } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { TcpFaultProxy, TEST_POSTGRES_URL } from '@eventshop/messaging/testing';
import { isDatabaseUnavailable } from './database-unavailable.js';

/**
 * The errors a real PostgreSQL connection gives when it drops — before a transaction, in the middle
 * of one, right before its COMMIT — are all recognised as "the database is unavailable" (a 503),
 * whichever of TypeORM's or pg's shapes they take. The line is cut with a TcpFaultProxy.
 */
describe('isDatabaseUnavailable against a real dropped connection', () => {
  let proxy: TcpFaultProxy;
  let dataSource: DataSource;

  beforeEach(async () => {
    const postgres = new URL(TEST_POSTGRES_URL);
    proxy = await TcpFaultProxy.start({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    dataSource = new DataSource({ type: 'postgres', url: `${proxy.route(TEST_POSTGRES_URL)}/postgres`, extra: { max: 2, connectionTimeoutMillis: 2_000 } });
    await dataSource.initialize();
  });

  afterEach(async () => {
    await dataSource.destroy().catch(() => undefined);
    await proxy.close();
  });

  /** The error `work` ends with, or a failure of the test if it does not fail. */
  async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
    try {
      await work();
    } catch (error) {
      return error;
    }
    throw new Error('expected the database call to fail');
  }

  /** Cuts the line under a transaction and waits until its pg client has seen the end (TypeORM then releases the runner). */
  async function cutUnder(tx: EntityManager): Promise<void> {
    const client = (tx.queryRunner as unknown as { databaseConnection: ClientBase }).databaseConnection;
    const ended = once(client, 'end');
    proxy.interrupt();
    await ended;
  }

  it.each<[string, () => Promise<unknown>]>([
    ['a query while the server is away', async () => {
      proxy.interrupt();
      return dataSource.query('SELECT 1');
    }],
    ['a query in a transaction whose connection dropped', () =>
      dataSource.transaction(async (tx) => {
        await tx.query('SELECT 1');
        proxy.interrupt();
        await tx.query('SELECT 2');
      })],
    ['the COMMIT of a transaction whose connection dropped', () =>
      dataSource.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await cutUnder(tx);
      })],
  ])('recognises %s', async (_, work) => {
    const error = await failureOf(work);
    expect({ error: String(error), unavailable: isDatabaseUnavailable(error) }).toEqual({ error: String(error), unavailable: true });
  });
});
