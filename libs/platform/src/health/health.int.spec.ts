// The health endpoints against a real PostgreSQL and NATS, each reached through a TcpFaultProxy the
// test cuts: readiness follows the dependencies, liveness does not.
import { Global, type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { deleteStreams, MessagingRuntime } from '@eventshop/messaging';
import { eventually, TcpFaultProxy, TEST_NATS_URL, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import { HealthModule } from './health.module.js';

describe('GET /health/live, /health/ready and /health', () => {
  let app: INestApplication;
  let runtime: MessagingRuntime;
  let postgres: TcpFaultProxy;
  let nats: TcpFaultProxy;

  beforeAll(async () => {
    const postgresUrl = new URL(TEST_POSTGRES_URL);
    const natsUrl = new URL(TEST_NATS_URL);
    postgres = await TcpFaultProxy.start({ host: postgresUrl.hostname, port: Number(postgresUrl.port || 5432) });
    nats = await TcpFaultProxy.start({ host: natsUrl.hostname, port: Number(natsUrl.port || 4222) });
    runtime = new MessagingRuntime({ serviceName: 'health-test', natsUrl: nats.route(TEST_NATS_URL), namespace: uniqueName('health') });
    await runtime.connect();

    @Global()
    @Module({ providers: [{ provide: MessagingRuntime, useValue: runtime }], exports: [MessagingRuntime] })
    class RuntimeModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        RuntimeModule,
        // The ping needs a server, not a service database: the maintenance database will do.
        TypeOrmModule.forRoot({ type: 'postgres', url: `${postgres.route(TEST_POSTGRES_URL)}/postgres`, retryAttempts: 0, extra: { max: 2, connectionTimeoutMillis: 1_000 } }),
        HealthModule.forRoot(),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }, 30_000);

  afterAll(async () => {
    postgres?.restore();
    nats?.restore();
    if (runtime) await deleteStreams(runtime.jetstreamManager, runtime.topology).catch(() => undefined);
    await app?.close();
    await runtime?.onApplicationShutdown();
    await postgres?.close();
    await nats?.close();
  }, 30_000);

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('all 200 while the database and NATS answer', async () => {
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/health/ready')).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
  });

  it('NATS cut: ready and /health 503 naming NATS; live stays 200', async () => {
    nats.interrupt();
    try {
      const ready = await eventually(async () => {
        const response = await get('/health/ready');
        return response.status === 503 ? response : undefined;
      }, 10_000, 'readiness to fail');
      expect(ready.body.error).toHaveProperty('nats');
      expect(ready.body.error).not.toHaveProperty('database');
      expect((await get('/health')).status).toBe(503);
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      nats.restore();
    }
    await eventually(async () => ((await get('/health/ready')).status === 200 ? true : undefined), 15_000, 'readiness after NATS is back');
  }, 30_000);

  it('database not answering: ready 503 naming the database; live stays 200', async () => {
    postgres.hang();
    try {
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error).toHaveProperty('database');
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      postgres.restore();
    }
    await eventually(async () => ((await get('/health/ready')).status === 200 ? true : undefined), 15_000, 'readiness after the database is back');
  }, 30_000);
});
