import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { caughtMails, eventually, mailsTo, startShop, uniqueEmail, type Shop } from './support/shop.js';

const SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service', 'read-model-service'];
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef0123456789';
const correlationIdFor = (email: string) => `signup-${email.replace('@', '.at.')}`;

/**
 * The whole shop, five services as processes, talking only through JetStream: sign up with
 * newsletter opt-in, place two orders, cancel one, and check what every other service made of it.
 */
describe('the whole shop talks through events', () => {
  let shop: Shop;
  const http = (service: string) => request(shop.url(service));

  beforeAll(async () => {
    shop = await startShop(SERVICES, { serviceEnv: { 'read-model-service': { ADMIN_TOKEN } } });
  }, 120_000);

  afterAll(async () => {
    await shop?.stop();
  }, 60_000);

  /** Signs a user up and logs in; returns the id and a bearer header. */
  async function signUpAndLogIn(email: string, newsletter: boolean) {
    const created = await http('user-service')
      .post('/users')
      .set('X-Correlation-Id', correlationIdFor(email))
      .send({ email, password: 'correct horse', name: 'Olga Order', newsletter })
      .expect(201);
    const login = await http('user-service').post('/auth/login').send({ email, password: 'correct horse' }).expect(200);
    return { userId: created.body.id as string, auth: `Bearer ${login.body.accessToken}` };
  }

  /** order-service answers 503 until its copy of the user has arrived through the bus. */
  async function placeOrder(auth: string, items: Array<{ sku: string; quantity: number; unitPriceCents: number }>) {
    return eventually(async () => {
      const response = await http('order-service').post('/orders').set('Authorization', auth).send({ items });
      if (response.status === 503) return undefined;
      expect(response.status).toBe(201);
      return response.body as { id: string; totalCents: number };
    }, 20_000, 'order-service to know the user');
  }

  async function readModel(path: string, auth: string) {
    const response = await http('read-model-service').get(path).set('Authorization', auth);
    return response.status === 200 ? response.body : undefined;
  }

  it('sign-up, two orders, one cancelled: emails, newsletter, read model and a rebuild agree', async () => {
    const email = uniqueEmail('shopper');
    const { userId, auth } = await signUpAndLogIn(email, true);

    const first = await placeOrder(auth, [{ sku: 'MUG', quantity: 2, unitPriceCents: 1250 }]);
    const second = await placeOrder(auth, [
      { sku: 'TEE', quantity: 1, unitPriceCents: 1999 },
      { sku: 'CAP', quantity: 3, unitPriceCents: 500 },
    ]);
    expect(first.totalCents).toBe(2500);
    expect(second.totalCents).toBe(3499);
    await http('order-service').post(`/orders/${first.id}/cancel`).set('Authorization', auth).expect(200);

    // The catcher holds the welcome email, two confirmations and one cancellation notice.
    const mails = await eventually(async () => {
      const mine = mailsTo(await caughtMails(shop.mailApi), email);
      return mine.length >= 4 ? mine : undefined;
    }, 30_000, 'four emails');
    const subjects = mails.map((mail) => mail.subject).sort();
    expect(subjects).toEqual([
      `Your order ${first.id.slice(0, 8)} is confirmed`,
      `Your order ${first.id.slice(0, 8)} was cancelled`,
      `Your order ${second.id.slice(0, 8)} is confirmed`,
      'Welcome to eventshop!',
    ].sort());

    // The newsletter shows the user subscribed.
    const subscription = await eventually(async () => {
      const response = await http('newsletter-service').get('/subscriptions/me').set('Authorization', auth);
      return response.body.subscribed === true ? response.body : undefined;
    }, 20_000, 'the subscription');
    expect(subscription.since).toEqual(expect.any(String));

    // The read model's overview, orders and timeline show the right figures.
    const overview = await eventually(async () => {
      const body = await readModel(`/users/${userId}`, auth);
      return body?.orderCount === 1 && body.welcomeEmailSentAt && body.newsletter.status === 'subscribed' ? body : undefined;
    }, 30_000, 'the read model to catch up');
    expect(overview).toMatchObject({ id: userId, email, name: 'Olga Order', orderCount: 1, totalSpentCents: 3499 });

    const orders = await readModel(`/users/${userId}/orders`, auth);
    expect(orders.map((o: { id: string; status: string }) => [o.id, o.status]).sort()).toEqual(
      [
        [first.id, 'cancelled'],
        [second.id, 'placed'],
      ].sort(),
    );

    const timeline = await eventually(async () => {
      const body = await readModel(`/users/${userId}/timeline`, auth);
      return body?.length === 6 ? body : undefined;
    }, 20_000, 'six timeline entries');
    const bySource = (timeline as Array<{ type: string; source: string; correlationId: string }>).map((e) => `${e.type}@${e.source}`);
    expect([...bySource].sort()).toEqual(
      [
        'UserSignedUp@user-service',
        'WelcomeEmailSent@email-service',
        'NewsletterSubscribed@newsletter-service',
        'OrderPlaced@order-service',
        'OrderPlaced@order-service',
        'OrderCancelled@order-service',
      ].sort(),
    );
    expect(bySource[0]).toBe('UserSignedUp@user-service');
    // The sign-up's correlation id follows every event it caused, across three services.
    const caused = timeline.filter((e: { type: string }) => ['UserSignedUp', 'WelcomeEmailSent', 'NewsletterSubscribed'].includes(e.type));
    expect(caused.map((e: { correlationId: string }) => e.correlationId)).toEqual(caused.map(() => correlationIdFor(email)));

    // A rebuild from the stream gives identical answers.
    await http('read-model-service').post('/admin/rebuild').set('X-Admin-Token', ADMIN_TOKEN).expect(200);
    expect(await readModel(`/users/${userId}`, auth)).toEqual(overview);
    expect(await readModel(`/users/${userId}/orders`, auth)).toEqual(orders);
    expect(await readModel(`/users/${userId}/timeline`, auth)).toEqual(timeline);
  }, 120_000);

  it('a concurrent double cancel gives one success and one 409', async () => {
    const { auth } = await signUpAndLogIn(uniqueEmail('racer'), false);
    const order = await placeOrder(auth, [{ sku: 'MUG', quantity: 1, unitPriceCents: 1250 }]);
    const cancel = () => http('order-service').post(`/orders/${order.id}/cancel`).set('Authorization', auth);
    const statuses = (await Promise.all([cancel(), cancel()])).map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409]);
  }, 60_000);

  it('the unsubscribe link in the welcome email unsubscribes, and the read model follows', async () => {
    const email = uniqueEmail('leaver');
    const { userId, auth } = await signUpAndLogIn(email, true);
    const [welcome] = await eventually(async () => {
      const mine = mailsTo(await caughtMails(shop.mailApi), email);
      return mine.length > 0 ? mine : undefined;
    }, 20_000, 'the welcome email');
    const link = /(http:\/\/\S+\/subscriptions\/unsubscribe\?\S+)/.exec(welcome!.text)?.[1];
    expect(link).toBeDefined();

    // The subscription must exist before it can end.
    await eventually(async () => {
      const response = await http('newsletter-service').get('/subscriptions/me').set('Authorization', auth);
      return response.body.subscribed === true ? true : undefined;
    }, 20_000, 'the subscription');
    const followed = await fetch(link!, { headers: { Accept: 'application/json' } });
    expect(followed.status).toBe(200);
    expect((await http('newsletter-service').get('/subscriptions/me').set('Authorization', auth)).body.subscribed).toBe(false);

    const forged = new URL(link!);
    forged.searchParams.set('sig', 'forged');
    expect((await fetch(forged, { headers: { Accept: 'application/json' } })).status).toBe(403);

    await eventually(async () => {
      const body = await readModel(`/users/${userId}`, auth);
      return body?.newsletter.status === 'unsubscribed' ? true : undefined;
    }, 20_000, 'the read model to show the user unsubscribed');
  }, 60_000);
});
