import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { messagingMigrations } from '../messaging-migrations.js';
import { deleteStreams, ensureStreams, topologyFor, type Topology } from '../jetstream/topology.js';

export const TEST_POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A unique, valid name for a throwaway database / namespace. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

async function adminQuery(sql: string): Promise<void> {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database with the bus's tables (and any extra migrations), for integration tests.
 * `drop()` closes the pool and removes the database.
 */
export async function createTestDatabase(
  options: { migrations?: Array<new () => object>; entities?: Array<new () => object> } = {},
): Promise<{ dataSource: DataSource; name: string; drop(): Promise<void> }> {
  const name = uniqueName('eventshop_test');
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const dataSource = new DataSource({
    type: 'postgres',
    url: url.toString(),
    migrations: [...messagingMigrations, ...(options.migrations ?? [])] as never,
    entities: options.entities ?? [],
    migrationsRun: true,
    extra: { max: 20 },
  });
  await dataSource.initialize();
  return {
    dataSource,
    name,
    async drop() {
      await dataSource.destroy();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** A NATS connection plus a private namespace with its own streams; `close()` deletes them. */
export async function createTestBus(): Promise<{
  connection: NatsConnection;
  topology: Topology;
  close(): Promise<void>;
}> {
  const connection = await connect({ servers: TEST_NATS_URL });
  const topology = topologyFor(uniqueName('t'));
  const jsm = await jetstreamManager(connection);
  await ensureStreams(jsm, topology);
  return {
    connection,
    topology,
    async close() {
      await deleteStreams(jsm, topology);
      await connection.drain();
    },
  };
}
