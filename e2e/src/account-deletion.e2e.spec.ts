import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { jetstreamManager } from '@nats-io/jetstream';
import { topologyFor } from '@eventshop/messaging';
import { caughtMails, connectNats, deadLetters, eventually, mailsTo, startShop, storedEvents, uniqueEmail, type Shop } from './support/shop.js';

const SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service', 'read-model-service'];
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef0123456789';
const PASSWORD = 'correct horse';
const FAREWELL_SUBJECT = 'Your eventshop account is deleted';
/** The participant services and the answer each gives. */
const PARTICIPANTS = [
  ['newsletter-service', 'newsletter'],
  ['email-service', 'email'],
  ['order-service', 'order'],
  ['read-model-service', 'read-model'],
] as const;

/**
 * Deleting an account end to end: the five services as processes, the process manager in
 * user-service asking the four participants, and what each of them — and the stream — still holds
 * of the user afterwards.
 */
describe('deleting an account', () => {
  let shop: Shop;
  const http = (service: string) => request(shop.url(service));

  beforeAll(async () => {
    shop = await startShop(SERVICES, {
      serviceEnv: {
        'read-model-service': { ADMIN_TOKEN },
        // Ask silent participants again every 1.5 s; a stopped one is back well within the deadline.
        'user-service': { ACCOUNT_DELETION_RETRY_AFTER_MS: '1500', ACCOUNT_DELETION_CHECK_INTERVAL_MS: '250', ACCOUNT_DELETION_DEADLINE_MS: '300000' },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await shop?.stop();
  }, 60_000);

  async function query<T>(service: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: shop.databaseUrl(service) });
    await client.connect();
    try {
      return (await client.query(sql, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** True once no consumer group (durable consumer) of the shop has anything pending or unacked. */
  async function consumersIdle(): Promise<boolean> {
    const connection = await connectNats(shop);
    try {
      const jsm = await jetstreamManager(connection);
      for await (const info of jsm.consumers.list(topologyFor(shop.namespace).eventsStream)) {
        // Durable groups only: a rebuild's ordered consumer may linger until it expires.
        if (info.config.durable_name && (info.num_pending > 0 || info.num_ack_pending > 0)) return false;
      }
      return true;
    } finally {
      await connection.close();
    }
  }

  async function signUpAndLogIn(email: string, name: string) {
    const created = await http('user-service').post('/users').send({ email, password: PASSWORD, name, newsletter: true }).expect(201);
    const login = await http('user-service').post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    return { userId: created.body.id as string, auth: `Bearer ${login.body.accessToken}` };
  }

  async function placeOrder(auth: string) {
    return eventually(async () => {
      const response = await http('order-service').post('/orders').set('Authorization', auth).send({ items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 1250 }] });
      if (response.status === 503) return undefined;
      expect(response.status).toBe(201);
      return response.body as { id: string };
    }, 20_000, 'order-service to know the user');
  }

  /** Signs up (newsletter), orders, and waits until every participant holds something of the user. */
  async function customer(tag: string) {
    const email = uniqueEmail(tag);
    const name = `Erika ${tag} ${email.slice(-20, -12)}`;
    const { userId, auth } = await signUpAndLogIn(email, name);
    const order = await placeOrder(auth);
    await eventually(async () => {
      const overview = await http('read-model-service').get(`/users/${userId}`).set('Authorization', auth);
      const subscription = await http('newsletter-service').get('/subscriptions/me').set('Authorization', auth);
      const mails = mailsTo(await caughtMails(shop.mailApi), email);
      return overview.body?.orderCount === 1 && subscription.body?.subscribed === true && mails.length >= 2 ? true : undefined;
    }, 30_000, 'every participant to know the user');
    return { email, name, userId, auth, orderId: order.id };
  }

  async function requestDeletion(auth: string) {
    const response = await http('user-service').delete('/users/me').set('Authorization', auth).send({ password: PASSWORD });
    expect(response.status).toBe(202);
    expect(response.headers['location']).toBe('/users/me/deletion');
    return response.body as { status: string };
  }

  async function completed(auth: string, timeoutMs = 60_000) {
    return eventually(async () => {
      const response = await http('user-service').get('/users/me/deletion').set('Authorization', auth);
      return response.body?.status === 'completed' ? response.body : undefined;
    }, timeoutMs, 'the deletion to complete');
  }

  /** What the services' own databases still hold of the user. */
  async function leftovers(userId: string, email: string, name: string) {
    const [users, recipients, mailRecords, subscriptions, customers, readModel] = await Promise.all([
      query('user-service', `SELECT id FROM users WHERE id = $1 OR email = $2 OR name = $3`, [userId, email, name]),
      query('email-service', `SELECT user_id FROM recipients WHERE user_id = $1 OR email = $2 OR name = $3`, [userId, email, name]),
      query('email-service', `SELECT event_id FROM sent_emails WHERE recipient = $1`, [email]),
      query('newsletter-service', `SELECT user_id FROM subscriptions WHERE user_id = $1`, [userId]),
      query('order-service', `SELECT user_id FROM customers WHERE user_id = $1`, [userId]),
      query('read-model-service', `SELECT user_id FROM read_model.users WHERE user_id = $1 OR email = $2 OR name = $3
                                   UNION ALL SELECT user_id FROM read_model.orders WHERE user_id = $1
                                   UNION ALL SELECT user_id FROM read_model.timeline_entries WHERE user_id = $1`, [userId, email, name]),
    ]);
    return { users, recipients, mailRecords, subscriptions, customers, readModel };
  }
  const nothingLeft = { users: [], recipients: [], mailRecords: [], subscriptions: [], customers: [], readModel: [] };

  /**
   * Every message of the real events stream — all subjects, payload and headers as stored — in which
   * the user's email or name appears in clear (any case).
   */
  async function streamMessagesNaming(email: string, name: string) {
    const needles = [email, name].map((needle) => needle.toLowerCase());
    const messages = await storedEvents(shop.namespace, { nats: shop });
    expect(messages.length).toBeGreaterThan(0);
    return messages
      .filter(({ subject, headers, text }) => {
        const raw = `${subject}\n${JSON.stringify(headers)}\n${text}`.toLowerCase();
        return needles.some((needle) => raw.includes(needle));
      })
      .map(({ sequence, subject }) => `${sequence} ${subject}`);
  }

  async function deletionProgress(auth: string) {
    const response = await http('user-service').get('/users/me/deletion').set('Authorization', auth);
    return response.status === 200 ? (response.body as { status: string; attempts: number; participants: Record<string, { answeredAt: string | null }> }) : undefined;
  }

  it('happy path: every participant answers, the account is erased, orders stay, one last mail', async () => {
    const ann = await customer('happy');
    const progress = await requestDeletion(ann.auth);
    expect(progress.status).toBe('in-progress');
    // Login fails from the moment of the request.
    await http('user-service').post('/auth/login').send({ email: ann.email, password: PASSWORD }).expect(401);

    const done = await completed(ann.auth);
    for (const [, participant] of PARTICIPANTS) expect(done.participants[participant].answeredAt).toEqual(expect.any(String));

    expect(await leftovers(ann.userId, ann.email, ann.name)).toEqual(nothingLeft);
    // The read model forgot her; the newsletter has no subscription; orders stay, tied only to the id.
    await http('read-model-service').get(`/users/${ann.userId}`).set('Authorization', ann.auth).expect(404);
    const subscription = await http('newsletter-service').get('/subscriptions/me').set('Authorization', ann.auth).expect(200);
    expect(subscription.body.subscribed).toBe(false);
    // Her token outlives the account: it subscribes to nothing again.
    await http('newsletter-service').post('/subscriptions/me').set('Authorization', ann.auth).expect(403);
    const orders = await query<{ stream_id: string }>('order-service', `SELECT stream_id FROM order_events WHERE stream_id = $1`, [ann.orderId]);
    expect(orders.length).toBeGreaterThan(0);
    // A token still valid cannot order any more.
    await http('order-service').post('/orders').set('Authorization', ann.auth).send({ items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 1 }] }).expect(403);

    // The last mail, once.
    const farewell = await eventually(async () => {
      const mails = mailsTo(await caughtMails(shop.mailApi), ann.email).filter((mail) => mail.subject === FAREWELL_SUBJECT);
      return mails.length > 0 ? mails : undefined;
    }, 20_000, 'the farewell mail');
    expect(farewell).toHaveLength(1);
    expect(farewell[0]?.text).toContain(ann.name);

    // AccountDeleted closes it on the stream; a second DELETE answers 404.
    const events = await storedEvents(shop.namespace, { nats: shop });
    const closing = events.filter((event) => event.subject.endsWith('user.account-deleted.v1') && event.text.includes(ann.userId));
    expect(closing).toHaveLength(1);
    await http('user-service').delete('/users/me').set('Authorization', ann.auth).send({ password: PASSWORD }).expect(404);
    expect(await deadLetters(shop.namespace, shop)).toEqual([]);

    // The stream, kept forever, never held her email or name: every message, every subject, raw.
    expect(await streamMessagesNaming(ann.email, ann.name)).toEqual([]);

    // A rebuild of the read model from the whole stream brings nothing of her back.
    await http('read-model-service').post('/admin/rebuild').set('X-Admin-Token', ADMIN_TOKEN).expect(200);
    expect((await leftovers(ann.userId, ann.email, ann.name)).readModel).toEqual([]);
    await http('read-model-service').get(`/users/${ann.userId}`).set('Authorization', ann.auth).expect(404);
  }, 120_000);

  it('a deletion racing orders: every answer a 2xx or a 4xx, the deletion completes, nothing of her is left', async () => {
    const cleo = await customer('race');
    const order = () => http('order-service').post('/orders').set('Authorization', cleo.auth).send({ items: [{ sku: 'TEE', quantity: 1, unitPriceCents: 999 }] });
    const answers = await Promise.all([order(), http('user-service').delete('/users/me').set('Authorization', cleo.auth).send({ password: PASSWORD }), order(), order()]);
    const statuses = answers.map((answer) => answer.status);
    expect(statuses[1]).toBe(202);
    for (const status of [statuses[0], statuses[2], statuses[3]]) expect([201, 403]).toContain(status);
    await completed(cleo.auth);
    // Orders that won the race stay (anonymised); an order event projected after the drop brings no view back.
    await eventually(async () => ((await consumersIdle()) ? true : undefined), 30_000, 'every consumer group to be idle');
    expect(await leftovers(cleo.userId, cleo.email, cleo.name)).toEqual(nothingLeft);
    await http('order-service').post('/orders').set('Authorization', cleo.auth).send({ items: [{ sku: 'TEE', quantity: 1, unitPriceCents: 1 }] }).expect(403);
    expect(await deadLetters(shop.namespace, shop)).toEqual([]);
    expect(await streamMessagesNaming(cleo.email, cleo.name)).toEqual([]);
  }, 120_000);

  it('two DELETEs at once answer 202 twice, then 404: never a 500', async () => {
    const dan = await customer('twice');
    const both = await Promise.all([0, 1].map(() => http('user-service').delete('/users/me').set('Authorization', dan.auth).send({ password: PASSWORD })));
    expect(both.map((answer) => answer.status)).toEqual([202, 202]);
    await completed(dan.auth);
    const again = await http('user-service').delete('/users/me').set('Authorization', dan.auth).send({ password: PASSWORD });
    expect(again.status).toBe(404);
  }, 60_000);

  it('user-service killed (SIGKILL) mid-deletion: the process manager resumes from its table and completes', async () => {
    const eva = await customer('restart');
    await shop.system.kill('newsletter-service', 'SIGKILL');
    try {
      await requestDeletion(eva.auth);
      const before = await eventually(async () => {
        const progress = await deletionProgress(eva.auth);
        return progress && progress.attempts >= 2 ? progress : undefined;
      }, 30_000, 'a retry before the kill');
      await shop.system.kill('user-service', 'SIGKILL');
      await shop.system.start('user-service');
      // Its timer is rebuilt from the rows: it keeps asking the silent participant.
      await eventually(async () => {
        const progress = await deletionProgress(eva.auth);
        return progress && progress.attempts > before.attempts ? progress : undefined;
      }, 30_000, 'a retry after the restart');
    } finally {
      await shop.system.start('newsletter-service');
    }
    await completed(eva.auth);
    expect(await leftovers(eva.userId, eva.email, eva.name)).toEqual(nothingLeft);
    expect(mailsTo(await caughtMails(shop.mailApi), eva.email).filter((mail) => mail.subject === FAREWELL_SUBJECT)).toHaveLength(1);
  }, 120_000);

  it.each(PARTICIPANTS)('%s stopped during the deletion: asked again until it is back, then it completes', async (service, participant) => {
    const bea = await customer(`down-${participant}`);
    await shop.system.kill(service, 'SIGKILL');
    try {
      await requestDeletion(bea.auth);
      // The others answer, it cannot: the process manager asks again (attempt 2+) and waits.
      const waiting = await eventually(async () => {
        const response = await http('user-service').get('/users/me/deletion').set('Authorization', bea.auth);
        return response.body?.attempts >= 2 ? response.body : undefined;
      }, 30_000, 'a retry');
      expect(waiting.status).toBe('in-progress');
      expect(waiting.participants[participant].answeredAt).toBeNull();
    } finally {
      await shop.system.start(service);
    }
    await completed(bea.auth);
    expect(await leftovers(bea.userId, bea.email, bea.name)).toEqual(nothingLeft);
    const farewell = mailsTo(await caughtMails(shop.mailApi), bea.email).filter((mail) => mail.subject === FAREWELL_SUBJECT);
    expect(farewell).toHaveLength(1);
  }, 120_000);
});
