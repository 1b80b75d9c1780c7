import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import request from 'supertest';
import { deleteStreams, topologyFor } from '@eventshop/messaging';
import { eventually, TcpFaultProxy, TEST_NATS_URL, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import { dropDatabase, JsonLogger, startService } from '@eventshop/platform';
import { loadUserServiceConfig, manifest } from './config.js';
import { UserServiceModule } from './user-service.module.js';

/**
 * user-service in-process against the real PostgreSQL (a database of its own) and NATS (a namespace
 * of its own): the HTTP edge as an attacker would poke at it — NUL bytes, over-long passwords,
 * password guessing — and the security headers every response carries.
 */

const database = uniqueName('user_service_it');
const namespace = uniqueName('userit');
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const PER_ACCOUNT = 5;
const PER_CLIENT = 12;
const config = {
  ...loadUserServiceConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    POSTGRES_URL: TEST_POSTGRES_URL,
    NATS_URL: TEST_NATS_URL,
    DATABASE_NAME: database,
    NATS_NAMESPACE: namespace,
    JWT_PUBLIC_KEY: keys.publicKey,
    JWT_PRIVATE_KEY: keys.privateKey,
    BCRYPT_COST: '4',
    AUTH_RATE_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT),
    AUTH_RATE_LIMIT_PER_CLIENT: String(PER_CLIENT),
  }),
  // Port 0: the OS picks a free one, so parallel suites never collide.
  PORT: 0,
};

let app: INestApplication;
const http = () => request(app.getHttpServer());
/** Each test speaks from a client address of its own (the app trusts X-Forwarded-For in tests), so per-client budgets never leak between tests. */
let clients = 0;
const newClient = () => `198.51.100.${++clients}`;
const fromClient = (ip: string) => ({ 'X-Forwarded-For': ip });

async function signUp(email: string, password = 'correct horse battery'): Promise<void> {
  const response = await http().post('/users').set(fromClient(newClient())).send({ email, password, name: 'Ann' });
  expect(response.status).toBe(201);
}

describe('user-service over HTTP', () => {
  beforeAll(async () => {
    const logger = new JsonLogger(manifest.name, config.LOG_LEVEL);
    app = await startService({ module: UserServiceModule.register(config, logger), config, logger });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    const nats = await connect({ servers: TEST_NATS_URL });
    await deleteStreams(await jetstreamManager(nats), topologyFor(namespace));
    await nats.drain();
    await dropDatabase(TEST_POSTGRES_URL, database);
  }, 60_000);

  it.each([
    ['name', { email: 'nul-name@example.com', password: 'correct horse', name: 'a\u0000b' }],
    ['email', { email: 'nul\u0000@example.com', password: 'correct horse', name: 'Ann' }],
    // bcrypt stops at the first NUL: "pass\0anything" would equal "pass".
    ['password', { email: 'nul-password@example.com', password: 'correct\u0000horse', name: 'Ann' }],
  ])('refuses a NUL byte in %s with a 400 that names the field, never a 500', async (field, body) => {
    const response = await http().post('/users').set(fromClient(newClient())).send(body);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(/NUL/) })]));
  });

  it('refuses a NUL byte in a login field with a 400', async () => {
    const response = await http().post('/auth/login').set(fromClient(newClient())).send({ email: 'x\u0000@example.com', password: 'whatever' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
  });

  it('refuses a login password longer than 72 bytes: bcrypt would ignore everything after byte 72', async () => {
    const password = 'p'.repeat(72);
    await signUp('long-password@example.com', password);
    const client = newClient();
    expect((await http().post('/auth/login').set(fromClient(client)).send({ email: 'long-password@example.com', password })).status).toBe(200);
    const longer = await http()
      .post('/auth/login')
      .set(fromClient(client))
      .send({ email: 'long-password@example.com', password: `${password}-and-anything-else` });
    expect(longer.status).toBe(400);
    expect(longer.body.errors).toEqual([expect.objectContaining({ field: 'password', message: expect.stringMatching(/72 bytes/) })]);
  });

  it('rate-limits password guessing per account: 429 with Retry-After, even for the right password, from any client', async () => {
    const email = 'guessed@example.com';
    await signUp(email);
    for (let attempt = 1; attempt <= PER_ACCOUNT; attempt++) {
      // A new client address every time: the per-account budget is what runs out.
      const wrong = await http().post('/auth/login').set(fromClient(newClient())).send({ email, password: `wrong guess ${attempt}` });
      expect(wrong.status).toBe(401);
    }
    const blocked = await http().post('/auth/login').set(fromClient(newClient())).send({ email, password: 'correct horse battery' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body).toMatchObject({ statusCode: 429 });

    // Someone else's account is not affected.
    await signUp('bystander@example.com');
    const other = await http().post('/auth/login').set(fromClient(newClient())).send({ email: 'bystander@example.com', password: 'correct horse battery' });
    expect(other.status).toBe(200);
  });

  it('the account budget is per normalised email: case and spaces do not buy more guesses', async () => {
    const email = 'Case.Sensitive@example.com';
    await signUp(email);
    for (let attempt = 1; attempt <= PER_ACCOUNT; attempt++) {
      const spelled = attempt % 2 ? ` ${email.toUpperCase()} ` : email.toLowerCase();
      expect((await http().post('/auth/login').set(fromClient(newClient())).send({ email: spelled, password: 'wrong' })).status).toBe(401);
    }
    expect((await http().post('/auth/login').set(fromClient(newClient())).send({ email, password: 'wrong' })).status).toBe(429);
  });

  it('rate-limits one client across accounts, on login and on sign-up, with Retry-After', async () => {
    const client = newClient();
    for (let attempt = 1; attempt <= PER_CLIENT; attempt++) {
      const response = await http().post('/auth/login').set(fromClient(client)).send({ email: `nobody${attempt}@example.com`, password: 'wrong' });
      expect(response.status).toBe(401);
    }
    const blocked = await http().post('/auth/login').set(fromClient(client)).send({ email: 'nobody-else@example.com', password: 'wrong' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    const signUpClient = newClient();
    const statuses = await Promise.all(
      Array.from({ length: PER_CLIENT + 3 }, (_, i) =>
        http().post('/users').set(fromClient(signUpClient)).send({ email: `burst${i}@example.com`, password: 'correct horse', name: 'Burst' }),
      ),
    ).then((responses) => responses.map((response) => response.status));
    expect(statuses.filter((status) => status === 201)).toHaveLength(PER_CLIENT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
  });

  it('sends security headers (helmet) on every response', async () => {
    const response = await http().get('/health');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('user-service while its PostgreSQL restarts', () => {
  const restartDatabase = uniqueName('user_service_restart_it');
  let proxy: TcpFaultProxy;
  let service: INestApplication;
  const client = () => request(service.getHttpServer());
  const signUpAs = (email: string) => client().post('/users').send({ email, password: 'correct horse', name: 'Ann' });

  beforeAll(async () => {
    const postgres = new URL(TEST_POSTGRES_URL);
    proxy = await TcpFaultProxy.start({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    // The service reaches PostgreSQL only through the proxy, which the test can cut.
    const routed = { ...config, POSTGRES_URL: proxy.route(TEST_POSTGRES_URL), DATABASE_NAME: restartDatabase };
    const logger = new JsonLogger(manifest.name, 'error');
    service = await startService({ module: UserServiceModule.register(routed, logger), config: routed, logger });
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await proxy?.close();
    await dropDatabase(TEST_POSTGRES_URL, restartDatabase);
  }, 60_000);

  it('answers 503 with Retry-After while the database is away — never a 500 — and 201 once it is back', async () => {
    expect((await signUpAs('before-restart@example.com')).status).toBe(201);

    proxy.interrupt();
    const during = await signUpAs('during-restart@example.com');
    expect(during.status).toBe(503);
    expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
    expect(during.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/database/) });
    expect((await client().get('/health')).status).toBe(503);

    proxy.restore();
    await eventually(async () => ((await client().get('/health')).status === 200 ? true : undefined), 15_000, 'health back to 200');
    expect((await signUpAs('during-restart@example.com')).status).toBe(201);
  });
});
