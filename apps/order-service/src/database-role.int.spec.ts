// Least privilege in PostgreSQL, with the very script the deployments run
// (deploy/postgres/init-service-roles.sh: docker-compose.yml and the k8s postgres StatefulSet mount
// it into the image's /docker-entrypoint-initdb.d). It creates two service roles with names unique to
// this run; order-service then starts in-process as its own role, its password read from a file as
// deployed (POSTGRES_PASSWORD_FILE), and runs its migrations as the owner of its database. Neither
// role can connect to the other's database.
//
// The shared test server trusts local connections, so passwords are not checked here: this proves
// authorization (who may connect to and read what), not authentication; the deployments use
// scram-sha-256 (docker-compose.yml, k8s postgres).
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import { deleteStreams, MessagingRuntime } from '@eventshop/messaging';
import { TEST_NATS_URL, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import { ServiceLogger, startService } from '@eventshop/platform';
import { loadOrderServiceConfig, manifest } from './config.js';
import { OrderServiceModule } from './order-service.module.js';

const INIT_SCRIPT = resolve(fileURLToPath(import.meta.url), '../../../../deploy/postgres/init-service-roles.sh');
const server = new URL(TEST_POSTGRES_URL);
const prefix = uniqueName('roles');
/** The roles (and their databases, named the same) this run creates: order-service's and another's. */
const ORDER = `${prefix}_order_service`;
const OTHER = `${prefix}_email_service`;
const passwords = mkdtempSync(join(tmpdir(), 'eventshop-pg-roles-'));

/** A URL as `role` (no password: the test server trusts local connections) to `database`. */
const urlAs = (role: string, database = '') => {
  const url = new URL(TEST_POSTGRES_URL);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  return url.toString();
};

async function asRole<T>(role: string, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlAs(role, database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function asSuperuser(sql: string): Promise<void> {
  await asRole(server.username || 'postgres', 'postgres', (client) => client.query(sql));
}

function runInitScript() {
  return spawnSync('sh', [INIT_SCRIPT], {
    env: {
      ...process.env,
      PGHOST: server.hostname,
      PGPORT: server.port || '5432',
      PGUSER: server.username || 'postgres',
      PGDATABASE: 'postgres',
      SERVICE_DATABASES: `${ORDER} ${OTHER}`,
      SERVICE_PASSWORDS_DIR: passwords,
    },
    encoding: 'utf8',
  });
}

describe('one PostgreSQL role per service (deploy/postgres/init-service-roles.sh)', () => {
  let app: INestApplication;
  let runtime: MessagingRuntime | undefined;

  beforeAll(async () => {
    for (const role of [ORDER, OTHER]) {
      mkdirSync(join(passwords, role));
      writeFileSync(join(passwords, role, 'password'), `p${uniqueName('pw')}\n`);
    }
    const first = runInitScript();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    // Idempotent: a second run (a service added to an existing volume) changes nothing and succeeds.
    expect(runInitScript().status).toBe(0);

    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const config = {
      ...loadOrderServiceConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        // As deployed: the service's own role in the URL, its password from a mounted file.
        POSTGRES_URL: urlAs(ORDER).replace(/\/$/, ''),
        POSTGRES_PASSWORD_FILE: join(passwords, ORDER, 'password'),
        DATABASE_NAME: ORDER,
        NATS_URL: TEST_NATS_URL,
        NATS_NAMESPACE: uniqueName('rolesit'),
        JWT_PUBLIC_KEY: keys.publicKey,
      }),
      PORT: 0,
    };
    const logger = new ServiceLogger(manifest.name, { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    app = await startService({ module: OrderServiceModule.register(config, logger), config, logger });
    runtime = app.get(MessagingRuntime);
  }, 60_000);

  afterAll(async () => {
    if (runtime) await deleteStreams(runtime.jetstreamManager, runtime.topology).catch(() => undefined);
    await app?.close();
    for (const name of [ORDER, OTHER]) {
      await asSuperuser(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await asSuperuser(`DROP ROLE IF EXISTS "${name}"`);
    }
    rmSync(passwords, { recursive: true, force: true });
  }, 60_000);

  it('order-service runs as its own role: its migrations ran in the database that role owns', async () => {
    expect((await request(app.getHttpServer()).get('/health/ready')).status).toBe(200);
    await asRole(ORDER, ORDER, async (client) => {
      const { rows } = await client.query(`SELECT current_user AS me, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()`);
      expect(rows).toEqual([{ me: ORDER, owner: ORDER }]);
      const migrations = await client.query(`SELECT count(*)::int AS n FROM migrations`);
      expect(migrations.rows[0].n).toBeGreaterThan(0);
      const tables = await client.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
      expect(tables.rows).toEqual([{ tableowner: ORDER }]);
    });
  });

  it('a role creates and reads tables in its own database, and may not create databases', async () => {
    await asRole(OTHER, OTHER, async (client) => {
      await client.query(`CREATE TABLE secrets (value text)`);
      await client.query(`INSERT INTO secrets VALUES ('only mine')`);
      expect((await client.query(`SELECT value FROM secrets`)).rows).toEqual([{ value: 'only mine' }]);
      await expect(client.query(`CREATE DATABASE "${prefix}_more"`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it("no role can connect to another service's database (so none can read its tables)", async () => {
    for (const [role, foreign] of [[ORDER, OTHER], [OTHER, ORDER]] as const) {
      await expect(asRole(role, foreign, (client) => client.query('SELECT 1'))).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for database/),
      });
    }
  });

  it("the outbox relay's per-database horizon still applies: the role sees every session in its own database", async () => {
    // The relay falls back to the server-wide xmin (still safe, just slower to publish behind other
    // databases' long transactions) when it finds a session in its database it may not inspect
    // (libs/messaging/src/outbox/outbox-relay.ts). With one role per database, the only sessions
    // there are the service's own, so the check below — the relay's — finds none.
    await asRole(ORDER, ORDER, async (client) => {
      const { rows } = await client.query(
        `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = '<insufficient privilege>') AS hidden,
                (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()) AS sessions`,
      );
      expect(rows[0].hidden).toBe(false);
      // This check's session and the running service's pool.
      expect(rows[0].sessions).toBeGreaterThan(1);
    });
  });
});
