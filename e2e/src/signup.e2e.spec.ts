import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { caughtMails, deadLetters, eventually, mailsTo, publishRaw, startShop, storedEvents, uniqueEmail, type Shop } from './support/shop.js';

describe('sign up over REST → welcome email (user-service + email-service)', () => {
  let shop: Shop;
  let users: ReturnType<typeof request>;

  beforeAll(async () => {
    shop = await startShop(['user-service', 'email-service']);
    users = request(shop.url('user-service'));
  }, 90_000);

  afterAll(async () => {
    await shop?.stop();
  }, 60_000);

  it('every service reports healthy', async () => {
    for (const service of ['user-service', 'email-service']) {
      const response = await request(shop.url(service)).get('/health');
      expect(response.status).toBe(200);
      expect(response.body.details).toMatchObject({ database: { status: 'up' }, nats: { status: 'up' } });
    }
  });

  it('signs a user up and the welcome email arrives in the catcher, once', async () => {
    const email = uniqueEmail('welcome');
    const response = await users
      .post('/users')
      .set('X-Correlation-Id', 'e2e-welcome-1')
      .send({ email: `  ${email.toUpperCase()} `, password: 'correct horse', name: 'Ann Example', newsletter: true });

    expect(response.status).toBe(201);
    expect(response.headers['x-correlation-id']).toBe('e2e-welcome-1');
    expect(Object.keys(response.body).sort()).toEqual(['createdAt', 'email', 'id', 'name']);
    expect(response.body).toMatchObject({ email, name: 'Ann Example' });

    const [mail] = await eventually(async () => {
      const mails = mailsTo(await caughtMails(shop.mailApi), email);
      return mails.length > 0 ? mails : undefined;
    }, 20_000, `a welcome email to ${email}`);
    expect(mail!.subject).toBe('Welcome to eventshop!');
    expect(mail!.text).toContain('Ann Example');

    // The event on the bus carries the request's correlation id.
    const events = await storedEvents(shop.namespace);
    const signedUp = events.find((event) => event.text.includes(response.body.id));
    expect(signedUp?.subject).toBe(`${shop.namespace}.events.user.user-signed-up.v2`);
    expect(signedUp?.headers['Correlation-Id']).toBe('e2e-welcome-1');
    expect(JSON.parse(signedUp!.text)).toMatchObject({
      type: 'UserSignedUp',
      version: 2,
      correlationId: 'e2e-welcome-1',
      source: 'user-service',
      data: { userId: response.body.id, newsletterOptIn: true },
    });
    // No personal data on the stream, which is kept forever: the welcome mail got it from user-service.
    expect(signedUp!.text).not.toContain(email);
    expect(signedUp!.text).not.toContain('Ann Example');
  });

  it('409 for an email already taken, whatever its case', async () => {
    const email = uniqueEmail('dup');
    await users.post('/users').send({ email, password: 'correct horse', name: 'First' }).expect(201);
    const response = await users.post('/users').send({ email: email.toUpperCase(), password: 'other password', name: 'Second' });
    expect(response.status).toBe(409);
    expect(response.body.message).toMatch(/already registered/);
  });

  it('400 naming every bad field', async () => {
    const response = await users.post('/users').send({ email: 'not-an-email', password: 'short', name: '', newsletter: 'yes' });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['email', 'name', 'newsletter', 'password']);
  });

  it.each([
    ['malformed JSON', '{"email": "a@b.c", ', 'application/json'],
    ['a JSON array', '[1, 2]', 'application/json'],
    ['a JSON string', '"hello"', 'application/json'],
    ['no body at all', '', 'application/json'],
    ['a form instead of JSON', 'email=a@b.c', 'application/x-www-form-urlencoded'],
  ])('400, never a 500, for %s', async (_, body, contentType) => {
    const response = await users.post('/users').set('Content-Type', contentType).send(body);
    expect(response.status).toBe(400);
    expect(response.body.statusCode).toBe(400);
  });

  it('logs in, and /users/me answers only with a valid token', async () => {
    const email = uniqueEmail('login');
    const created = await users.post('/users').send({ email, password: 'correct horse', name: 'Lou' }).expect(201);

    const login = await users.post('/auth/login').send({ email: email.toUpperCase(), password: 'correct horse' });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number) });

    const me = await users.get('/users/me').set('Authorization', `Bearer ${login.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(created.body);

    expect((await users.get('/users/me')).status).toBe(401);
    expect((await users.get('/users/me').set('Authorization', 'Bearer not.a.token')).status).toBe(401);
    // Same signature, claims rewritten to another user: must be refused.
    const [header, payload, signature] = login.body.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    expect((await users.get('/users/me').set('Authorization', `Bearer ${header}.${forged}.${signature}`)).status).toBe(401);
  });

  it('one identical 401 for a wrong password and for an unknown email', async () => {
    const email = uniqueEmail('wrong');
    await users.post('/users').send({ email, password: 'correct horse', name: 'Wes' }).expect(201);
    const wrongPassword = await users.post('/auth/login').send({ email, password: 'incorrect horse' });
    const unknownEmail = await users.post('/auth/login').send({ email: uniqueEmail('nobody'), password: 'correct horse' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect((await users.post('/auth/login').send({ email })).status).toBe(400);
  });

  it('no message on the bus carries a password or a bcrypt hash', async () => {
    const password = `pw-${Date.now()}-secret`;
    const email = uniqueEmail('secret');
    const created = await users.post('/users').send({ email, password, name: 'Sam' }).expect(201);
    const events = await eventually(async () => {
      const all = await storedEvents(shop.namespace);
      return all.some((event) => event.text.includes(created.body.id)) ? all : undefined;
    }, 10_000, 'the sign-up event');
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const everything = event.text + JSON.stringify(event.headers);
      expect(everything).not.toContain(password);
      expect(everything).not.toMatch(/\$2[aby]\$\d\d\$/);
      expect(everything).not.toMatch(/password/i);
    }
  });

  it('a bad event goes to the dead letter with the reason, and the stream keeps flowing', async () => {
    // A UserSignedUp that breaks its contract (no email, an unknown field), and one that is not JSON.
    const valid = UserSignedUpV1.create(
      { userId: randomUUID(), email: 'x@example.com', name: 'X', newsletterOptIn: false, occurredAt: new Date().toISOString() },
      { correlationId: 'bad-event', source: 'user-service', aggregateId: 'x' },
    );
    const broken = { ...valid, data: { ...valid.data, email: undefined, apiKey: 'k' } };
    await publishRaw(shop.namespace, UserSignedUpV1.subject, JSON.stringify(broken), broken.id);
    await publishRaw(shop.namespace, UserSignedUpV1.subject, '{not json', randomUUID());

    const parked = await eventually(async () => {
      const all = (await deadLetters(shop.namespace)).filter((d) => d.consumer === 'email-service__send-welcome-email');
      return all.length >= 2 ? all : undefined;
    }, 20_000, 'two dead letters');
    const reasons = parked.map((d) => d.reason).join('\n');
    expect(reasons).toMatch(/ContractViolationError: UserSignedUp v1 violates its contract: .*data\.email/);
    expect(reasons).toMatch(/apiKey/);
    expect(reasons).toMatch(/MalformedMessageError: payload is not valid JSON/);
    expect(parked.every((d) => d.originalSubject === `${shop.namespace}.events.user.user-signed-up.v1` && d.deliveryCount === 1)).toBe(true);

    // Parked at once (permanent errors are not retried), and the next good sign-up still gets its mail.
    const email = uniqueEmail('after-bad');
    await users.post('/users').send({ email, password: 'correct horse', name: 'Next' }).expect(201);
    await eventually(async () => (mailsTo(await caughtMails(shop.mailApi), email).length === 1 ? true : undefined), 20_000, 'the next welcome email');
  });
});
