import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AccountDeletedV1,
  AccountDeletionRequestedV1,
  CustomerAnonymisedV1,
  NewsletterSubscriberForgottenV1,
  RecipientForgottenV1,
  UserViewsDroppedV1,
} from '@eventshop/contracts';
import { DeadLetterAdmin } from '@eventshop/messaging';
import { eventsOnStream, eventually, publishEvent } from '@eventshop/messaging/testing';
import { serviceTestConfig, startServiceUnderTest, testJwtKeys, type ServiceUnderTest } from '@eventshop/platform/testing';
import { loadUserServiceConfig, manifest } from '../config.js';
import { UserServiceModule } from '../user-service.module.js';

/**
 * The process manager in user-service, against the real PostgreSQL and NATS, with no participant
 * running: the test answers for them (or does not). A short retry time and deadline show the
 * retries, the stuck report in the dead-letter tooling, and a late completion.
 */

const keys = testJwtKeys();
const config = serviceTestConfig(loadUserServiceConfig, {
  name: 'user_service_deletion_it',
  keys,
  env: {
    JWT_PRIVATE_KEY: keys.privateKey,
    BCRYPT_COST: '4',
    ACCOUNT_DELETION_RETRY_AFTER_MS: '400',
    ACCOUNT_DELETION_DEADLINE_MS: '1500',
    ACCOUNT_DELETION_CHECK_INTERVAL_MS: '100',
  },
});

let service: ServiceUnderTest<typeof config>;
const http = () => service.http();
const PASSWORD = 'correct horse battery';
let clients = 0;
const client = () => ({ 'X-Forwarded-For': `203.0.113.${++clients}` });

async function signUpAndLogIn(email: string): Promise<{ userId: string; auth: string }> {
  const created = await http().post('/users').set(client()).send({ email, password: PASSWORD, name: 'Dora Delete' }).expect(201);
  const login = await http().post('/auth/login').set(client()).send({ email, password: PASSWORD }).expect(200);
  return { userId: created.body.id as string, auth: `Bearer ${login.body.accessToken}` };
}

async function deletion(auth: string) {
  const response = await http().get('/users/me/deletion').set('Authorization', auth);
  return response.status === 200 ? (response.body as { status: string; attempts: number; participants: Record<string, { answeredAt: string | null }> }) : undefined;
}

/** The AccountDeletionRequested events user-service put on the stream for `userId`. */
async function requestsOnStream(userId: string): Promise<number[]> {
  const requests = await eventsOnStream<{ userId: string; attempt: number }>(service.jsm, service.topology, AccountDeletionRequestedV1.subject);
  return requests.filter(({ envelope }) => envelope.data.userId === userId).map(({ envelope }) => envelope.data.attempt).sort((a, b) => a - b);
}

/** Publishes every participant's answer for `userId`, as the four services would. */
async function answerForAll(userId: string): Promise<void> {
  const at = new Date().toISOString();
  const meta = (source: string) => ({ correlationId: `answer-${userId}`, source, aggregateId: userId });
  for (const envelope of [
    NewsletterSubscriberForgottenV1.create({ userId, wasSubscribed: true, forgottenAt: at }, meta('newsletter-service')),
    RecipientForgottenV1.create({ userId, farewellMailSent: true, forgottenAt: at }, meta('email-service')),
    CustomerAnonymisedV1.create({ userId, ordersKept: 0, anonymisedAt: at }, meta('order-service')),
    UserViewsDroppedV1.create({ userId, droppedAt: at }, meta('read-model-service')),
  ]) {
    await publishEvent(service.publisher, service.topology, envelope);
  }
}

describe('the account-deletion process manager in user-service', () => {
  beforeAll(async () => {
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: UserServiceModule.register });
  }, 60_000);

  afterAll(() => service?.stop(), 60_000);

  it('refuses a DELETE without a token, without a password and with a wrong one, and changes nothing', async () => {
    const { auth } = await signUpAndLogIn('refused-delete@example.com');
    await http().delete('/users/me').send({ password: PASSWORD }).expect(401);
    const missing = await http().delete('/users/me').set('Authorization', auth).set(client()).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
    await http().delete('/users/me').set('Authorization', auth).set(client()).send({ password: 'not the password' }).expect(401);
    await http().get('/users/me').set('Authorization', auth).expect(200);
    await http().get('/users/me/deletion').set('Authorization', auth).expect(404);
  });

  it('deactivates at once, retries the silent participants, reports the stuck deletion as a dead letter, and completes on late answers', async () => {
    const email = 'stuck-delete@example.com';
    const { userId, auth } = await signUpAndLogIn(email);

    // Two racing DELETEs: both 202, one deletion.
    const [first, second] = await Promise.all(
      [0, 1].map(() => http().delete('/users/me').set('Authorization', auth).set(client()).send({ password: PASSWORD })),
    );
    expect([first?.status, second?.status]).toEqual([202, 202]);
    expect(first?.headers['location']).toBe('/users/me/deletion');
    expect(first?.body).toMatchObject({ userId, status: 'in-progress', attempts: 1 });

    // Shut out at once: no login, no profile; the email stays taken until the erasure.
    await http().post('/auth/login').set(client()).send({ email, password: PASSWORD }).expect(401);
    await http().get('/users/me').set('Authorization', auth).expect(404);
    await http().post('/users').set(client()).send({ email, password: PASSWORD, name: 'Again' }).expect(409);

    // Nobody answers: asked again, then stuck at the deadline.
    const stuck = await eventually(async () => {
      const progress = await deletion(auth);
      return progress?.status === 'stuck' ? progress : undefined;
    }, 15_000, 'the deletion to be stuck');
    expect(stuck.attempts).toBeGreaterThanOrEqual(2);
    const attempts = await eventually(async () => {
      const published = await requestsOnStream(userId);
      return published.length === stuck.attempts ? published : undefined;
    }, 10_000, 'every request published');
    expect(attempts).toEqual(Array.from({ length: stuck.attempts }, (_, i) => i + 1));

    // Visible where operators look: a dead letter naming every silent participant.
    const admin = new DeadLetterAdmin(service.jsm, service.nats, service.topology);
    const report = await eventually(async () => {
      const { deadLetters } = await admin.list({ limit: 100 });
      return deadLetters.find((letter) => letter.consumer === 'user-service__account-deletion' && letter.reason.includes(userId));
    }, 10_000, 'the stuck deletion in the dead letters');
    expect(report.reason).toMatch(/newsletter-service, email-service, order-service, read-model-service/);
    expect(report.originalSubject).toBe(`${service.topology.eventsSubjectRoot}.user.account-deletion-requested.v1`);
    // Its payload is a fresh request: replaying it asks every participant once more.
    const replayed = AccountDeletionRequestedV1.parse(JSON.parse(new TextDecoder().decode(report.payload)));
    expect(replayed.data).toMatchObject({ userId, attempt: stuck.attempts + 1 });

    // The participants come back and answer (twice, as to a retry): the deletion completes and the account is erased.
    await answerForAll(userId);
    await answerForAll(userId);
    const done = await eventually(async () => {
      const progress = await deletion(auth);
      return progress?.status === 'completed' ? progress : undefined;
    }, 15_000, 'the deletion to complete');
    expect(Object.values(done.participants).every((participant) => participant.answeredAt !== null)).toBe(true);
    const rows: unknown[] = await service.dataSource.query(`SELECT id FROM users WHERE id = $1`, [userId]);
    expect(rows).toEqual([]);
    const deleted = await eventually(async () => {
      const published = await eventsOnStream<{ userId: string }>(service.jsm, service.topology, AccountDeletedV1.subject);
      const mine = published.filter(({ envelope }) => envelope.data.userId === userId);
      return mine.length > 0 ? mine : undefined;
    }, 10_000, 'AccountDeleted');
    expect(deleted).toHaveLength(1);

    // After the erasure: a DELETE answers 404, never a 500; the email is free again.
    await http().delete('/users/me').set('Authorization', auth).set(client()).send({ password: PASSWORD }).expect(404);
    await http().post('/users').set(client()).send({ email, password: PASSWORD, name: 'Dora Again' }).expect(201);
  }, 60_000);
});
