import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { caughtMails, consumerDrained, deadLetters, eventually, mailsTo, startShop, uniqueEmail, type Shop } from './support/shop.js';

/**
 * The SMTP server goes away for a while. email-service's sends fail, its circuit breaker opens and
 * the mail handlers hold their messages instead of burning their retries into the dead letter. When
 * SMTP comes back every mail goes out — none lost, none twice, no attempt spent.
 */
describe('SMTP outage', () => {
  let shop: Shop;
  const http = (service: string) => request(shop.url(service));

  beforeAll(async () => {
    shop = await startShop(['user-service', 'email-service', 'order-service']);
  }, 90_000);

  afterAll(async () => {
    await shop?.stop();
  }, 60_000);

  /** Failed deliveries the mail handlers reported, from email-service's Prometheus metrics. */
  async function failedDeliveries(): Promise<number> {
    const text = (await http('email-service').get('/metrics').expect(200)).text;
    return text
      .split('\n')
      .filter((line) => line.startsWith('eventshop_messages_handled_total') && /outcome="(retry|error)"/.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  it('nothing is lost and nothing is sent twice; the mails go out once SMTP is back', async () => {
    const first = uniqueEmail('before-outage');
    await http('user-service').post('/users').send({ email: first, password: 'correct horse', name: 'Pat' }).expect(201);
    await eventually(async () => (mailsTo(await caughtMails(shop.mailApi), first).length === 1 ? true : undefined), 20_000, 'the first welcome mail');
    const login = await http('user-service').post('/auth/login').send({ email: first, password: 'correct horse' }).expect(200);
    const auth = `Bearer ${login.body.accessToken}`;
    const failuresBefore = await failedDeliveries();

    await shop.system.kill('maildev');

    // While SMTP is down: more sign-ups, and orders for the first user (confirmations, a cancellation).
    const during = Array.from({ length: 4 }, (_, i) => uniqueEmail(`during-outage${i}`));
    for (const email of during) {
      await http('user-service').post('/users').send({ email, password: 'correct horse', name: 'Pat' }).expect(201);
    }
    const orders: string[] = [];
    for (const sku of ['MUG', 'TEE']) {
      const order = await eventually(async () => {
        const response = await http('order-service').post('/orders').set('Authorization', auth).send({ items: [{ sku, quantity: 1, unitPriceCents: 900 }] });
        return response.status === 201 ? (response.body as { id: string }) : undefined;
      }, 20_000, 'order-service to know the user');
      orders.push(order.id);
    }
    await http('order-service').post(`/orders/${orders[0]}/cancel`).set('Authorization', auth).expect(200);

    // The outage is real: the mails wait in the consumer groups, held (not acked) rather than retried.
    for (const group of ['send-welcome-email-v2', 'send-order-confirmation']) {
      await eventually(async () => ((await consumerDrained(shop.namespace, `email-service__${group}`)) ? undefined : true), 30_000, `${group} to hold mails`);
    }

    await shop.system.start('maildev');

    const expected = new Map<string, number>([...during.map((email) => [email, 1] as const), [first, 3]]);
    await eventually(async () => {
      const mails = await caughtMails(shop.mailApi);
      return [...expected].every(([email, count]) => mailsTo(mails, email).length >= count) ? true : undefined;
    }, 90_000, 'every mail after the outage');
    for (const group of ['send-welcome-email-v2', 'send-order-confirmation', 'send-cancellation-notice']) {
      await eventually(async () => ((await consumerDrained(shop.namespace, `email-service__${group}`)) ? true : undefined), 60_000, `${group} to settle`);
    }
    // The outage spent no attempt: no delivery ended in a retry or a dead letter.
    expect(await failedDeliveries()).toBe(failuresBefore);
    expect(await deadLetters(shop.namespace)).toEqual([]);
    const mails = await caughtMails(shop.mailApi);
    // The new catcher saw only what was sent after the outage: the first user's three order mails
    // and one welcome mail per user signed up during the outage — exactly once each.
    expect(during.map((email) => mailsTo(mails, email).length)).toEqual(during.map(() => 1));
    expect(mailsTo(mails, first).map((mail) => mail.subject).sort()).toEqual(
      [`Your order ${orders[0]!.slice(0, 8)} is confirmed`, `Your order ${orders[0]!.slice(0, 8)} was cancelled`, `Your order ${orders[1]!.slice(0, 8)} is confirmed`].sort(),
    );
  }, 180_000);
});
