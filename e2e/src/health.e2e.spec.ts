import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { freePort } from '@eventshop/dev-runner';
import { caughtMails, eventually, mailsTo, startShop, uniqueEmail, type Shop } from './support/shop.js';

/**
 * NATS goes away under running services (a private nats-server this test owns): /health/ready says
 * so with a 503 naming NATS (200 again once it is back), sign-ups still succeed (the outbox keeps their events), and once NATS is
 * back the services recover by themselves and the welcome emails go out.
 */
describe('/health/ready and recovery when NATS goes down', () => {
  let shop: Shop;
  let nats: ChildProcess | undefined;
  let natsPort: number;
  const store = mkdtempSync(join(tmpdir(), 'eventshop-nats-'));

  const portOpen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });

  async function startNats(): Promise<void> {
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', store], { stdio: 'ignore' });
    await eventually(async () => ((await portOpen(natsPort)) ? true : undefined), 10_000, 'the private nats-server');
  }

  async function stopNats(): Promise<void> {
    const exited = new Promise((resolve) => nats?.once('exit', resolve));
    nats?.kill('SIGKILL');
    await exited;
    nats = undefined;
  }

  beforeAll(async () => {
    natsPort = await freePort();
    await startNats();
    shop = await startShop(['user-service', 'email-service'], { natsUrl: `nats://127.0.0.1:${natsPort}` });
  }, 90_000);

  afterAll(async () => {
    await shop?.stop();
    if (nats) await stopNats();
    rmSync(store, { recursive: true, force: true });
  }, 60_000);

  const health = (service: string, path = '/health/ready') => request(shop.url(service)).get(path);

  it('503 naming NATS while it is down; sign-ups still land; all recovers when NATS is back', async () => {
    expect((await health('user-service')).status).toBe(200);

    await stopNats();
    const down = await eventually(async () => {
      const response = await health('user-service');
      return response.status === 503 ? response : undefined;
    }, 15_000, '/health to report NATS down');
    expect(down.body.details).toMatchObject({ database: { status: 'up' }, nats: { status: 'down' } });
    // The plain /health answers as readiness does; liveness checks the process only.
    expect((await health('user-service', '/health')).status).toBe(503);
    expect((await health('email-service', '/health/live')).status).toBe(200);

    // The user and its event commit together in PostgreSQL; the event waits in the outbox.
    const email = uniqueEmail('nats-down');
    await request(shop.url('user-service')).post('/users').send({ email, password: 'correct horse', name: 'Nat' }).expect(201);

    await startNats();
    for (const service of ['user-service', 'email-service']) {
      await eventually(async () => ((await health(service)).status === 200 ? true : undefined), 30_000, `${service} to recover`);
    }
    await eventually(async () => (mailsTo(await caughtMails(shop.mailApi), email).length === 1 ? true : undefined), 30_000, 'the welcome email after recovery');
    // Back and caught up: readiness lists email-service's consumer groups with their lag again.
    const ready = await health('email-service');
    expect(ready.body.details.consumers).toMatchObject({ status: 'up', groups: { 'email-service__send-welcome-email': { pending: 0 } } });
  }, 120_000);
});
