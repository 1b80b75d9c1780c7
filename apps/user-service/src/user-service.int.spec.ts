import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, TcpFaultProxy, TEST_POSTGRES_URL, uniqueName } from '@eventshop/messaging/testing';
import { serviceTestConfig, startServiceUnderTest, testJwtKeys, type ServiceUnderTest } from '@eventshop/platform/testing';
import { loadUserServiceConfig, manifest } from './config.js';
import { UserServiceModule } from './user-service.module.js';

/**
 * user-service in-process against the real PostgreSQL (a database of its own) and NATS (a namespace
 * of its own): the HTTP edge as an attacker would poke at it — NUL bytes, over-long passwords,
 * password guessing — and the security headers every response carries.
 */

const keys = testJwtKeys();
const PER_ACCOUNT = 5;
const PER_CLIENT = 12;
const config = serviceTestConfig(loadUserServiceConfig, {
  name: 'user_service_it',
  keys,
  env: {
    JWT_PRIVATE_KEY: keys.privateKey,
    BCRYPT_COST: '4',
    AUTH_RATE_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT),
    AUTH_RATE_LIMIT_PER_CLIENT: String(PER_CLIENT),
  },
});

let service: ServiceUnderTest<typeof config>;
const http = () => service.http();
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
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: UserServiceModule.register });
  }, 60_000);

  afterAll(() => service?.stop(), 60_000);

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
  let restarted: ServiceUnderTest<typeof config>;
  const client = () => restarted.http();
  const signUpAs = (email: string) => client().post('/users').send({ email, password: 'correct horse', name: 'Ann' });

  beforeAll(async () => {
    const postgres = new URL(TEST_POSTGRES_URL);
    proxy = await TcpFaultProxy.start({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    // The service reaches PostgreSQL only through the proxy, which the test can cut.
    const routed = { ...config, POSTGRES_URL: proxy.route(TEST_POSTGRES_URL), DATABASE_NAME: restartDatabase };
    restarted = await startServiceUnderTest({ serviceName: manifest.name, config: routed, module: UserServiceModule.register });
  }, 60_000);

  afterAll(async () => {
    // Clean-up goes through the proxy too (and removes the namespace's streams this service made again).
    proxy?.restore();
    await restarted?.stop();
    await proxy?.close();
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
