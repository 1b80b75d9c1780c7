import pg from 'pg';
import { jetstreamManager } from '@nats-io/jetstream';
import { topologyFor } from '@eventshop/messaging';
import { caughtMails, connectNats, storedEvents, type Shop } from '@eventshop/e2e/support';
import type { Customer } from './traffic.js';

/** One effect the traffic should have had, and how many copies of it the outputs hold. */
export interface EffectCount {
  /** What and where, e.g. `welcome mail to a@b` or `read model: orders of <user>`. */
  effect: string;
  expected: number;
  found: number;
}

export interface Tally {
  effects: number;
  /** Copies missing: an effect found fewer times than expected. */
  lost: number;
  /** Copies too many: an effect found more times than expected. */
  duplicated: number;
  /** The effects that were off, for the failure message. */
  wrong: EffectCount[];
  /** Mails delivered again with the same Message-ID (one effect, resent: see the e2e crash test). */
  resentMails: number;
}

/** The services that stage their events in an outbox. */
const OUTBOX_SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service'];

/**
 * Reads the shop's real outputs — each service's rows (read-only), the events stream, the mails in
 * the catcher with their Message-IDs, the read model's tables — and counts every effect the
 * customers' traffic should have had.
 */
export class EffectLedger {
  constructor(private readonly shop: Shop) {}

  /** Empties the catcher, so the next scenario counts only its own mails. */
  async forgetMails(): Promise<void> {
    await fetch(`${this.shop.mailApi}/email/all`, { method: 'DELETE' });
  }

  /** The events stream's next sequence: a scenario's events are the ones from here on. */
  async nextStreamSequence(): Promise<number> {
    const connection = await connectNats(this.shop);
    try {
      const { state } = await (await jetstreamManager(connection)).streams.info(topologyFor(this.shop.namespace).eventsStream);
      return state.last_seq + 1;
    } finally {
      await connection.close();
    }
  }

  /** Every effect of `customers`' journeys, counted in the outputs. */
  async count(customers: Customer[], fromStreamSequence: number): Promise<{ counts: EffectCount[]; resentMails: number }> {
    const userIds = customers.map((customer) => customer.userId);
    const orders = customers.flatMap((customer) => customer.orders.map((order) => ({ ...order, customer })));
    const orderIds = orders.map((order) => order.id);
    const counts: EffectCount[] = [];
    const expect = (effect: string, expected: number, found: number | undefined) => counts.push({ effect, expected, found: found ?? 0 });

    const [users, customerCopies, ordersPlaced, orderEvents, subscriptions, sentEmails, readUsers, readOrders, timeline] = await Promise.all([
      this.countBy('user-service', 'SELECT email AS key, count(*) FROM users WHERE email = ANY($1) GROUP BY 1', [customers.map((c) => c.email)]),
      this.countBy('order-service', 'SELECT user_id::text AS key, count(*) FROM customers WHERE user_id = ANY($1::uuid[]) GROUP BY 1', [userIds]),
      this.countBy('order-service', `SELECT data->>'userId' AS key, count(DISTINCT stream_id) FROM order_events WHERE type = 'OrderPlaced' AND data->>'userId' = ANY($1) GROUP BY 1`, [userIds]),
      this.countBy('order-service', `SELECT stream_id::text || ' ' || type AS key, count(*) FROM order_events WHERE stream_id = ANY($1::uuid[]) GROUP BY 1`, [orderIds]),
      this.countBy('newsletter-service', 'SELECT user_id::text AS key, count(*) FROM subscriptions WHERE subscribed AND user_id = ANY($1::uuid[]) GROUP BY 1', [userIds]),
      this.countBy('email-service', 'SELECT recipient || \' \' || kind AS key, count(*) FROM sent_emails WHERE recipient = ANY($1) GROUP BY 1', [customers.map((c) => c.email)]),
      this.rows<{ user_id: string; order_count: number; total_spent_cents: string; newsletter_status: string; welcome: boolean }>(
        'read-model-service',
        'SELECT user_id::text, order_count, total_spent_cents, newsletter_status, welcome_email_sent_at IS NOT NULL AS welcome FROM read_model.users WHERE user_id = ANY($1::uuid[])',
        [userIds],
      ),
      this.countBy('read-model-service', `SELECT order_id::text || ' ' || status AS key, count(*) FROM read_model.orders WHERE order_id = ANY($1::uuid[]) GROUP BY 1`, [orderIds]),
      this.countBy('read-model-service', `SELECT user_id::text || ' ' || type AS key, count(*) FROM read_model.timeline_entries WHERE user_id = ANY($1::uuid[]) GROUP BY 1`, [userIds]),
    ]);
    const events = await this.eventsFrom(fromStreamSequence);
    const mails = await caughtMails(this.shop.mailApi);

    for (const customer of customers) {
      const { email, userId } = customer;
      const kept = customer.orders.filter((order) => !order.cancelled);
      const cancelled = customer.orders.filter((order) => order.cancelled);
      expect(`user-service: account ${email}`, 1, users.get(email));
      expect(`order-service: customer copy of ${userId}`, 1, customerCopies.get(userId));
      expect(`order-service: orders of ${userId}`, customer.orders.length, ordersPlaced.get(userId));
      expect(`newsletter-service: subscription of ${userId}`, 1, subscriptions.get(userId));
      for (const type of ['UserSignedUp', 'WelcomeEmailSent', 'NewsletterSubscribed']) expect(`stream: ${type} for ${userId}`, 1, events.get(`${type} ${userId}`));
      // The read model: one row per user with the right figures, one timeline entry per event.
      const row = readUsers.find((found) => found.user_id === userId);
      expect(`read model: user ${userId}`, 1, row ? 1 : 0);
      if (row) {
        expect(`read model: order count of ${userId}`, kept.length, row.order_count);
        expect(`read model: welcome mail of ${userId}`, 1, row.welcome ? 1 : 0);
        expect(`read model: newsletter of ${userId}`, 1, row.newsletter_status === 'subscribed' ? 1 : 0);
        const spent = kept.reduce((sum, order) => sum + order.totalCents, 0);
        if (Number(row.total_spent_cents) !== spent) expect(`read model: total spent by ${userId} (${row.total_spent_cents} ≠ ${spent})`, 1, 0);
      }
      const timelineExpected: Record<string, number> = {
        UserSignedUp: 1,
        WelcomeEmailSent: 1,
        NewsletterSubscribed: 1,
        OrderPlaced: customer.orders.length,
        OrderCancelled: cancelled.length,
      };
      for (const [type, expected] of Object.entries(timelineExpected)) expect(`read model: ${type} in the timeline of ${userId}`, expected, timeline.get(`${userId} ${type}`));
      // Mails: counted by Message-ID (one per effect); a resend of the same Message-ID is one effect.
      const mine = mails.filter((mail) => mail.to.some((to) => to.address === email));
      const wanted = [
        'Welcome to eventshop!',
        ...customer.orders.map((order) => `Your order ${order.id.slice(0, 8)} is confirmed`),
        ...cancelled.map((order) => `Your order ${order.id.slice(0, 8)} was cancelled`),
      ];
      for (const subject of wanted) {
        const messageIds = new Set(mine.filter((mail) => mail.subject === subject).map((mail) => mail.headers['message-id']));
        expect(`mail "${subject}" to ${email} (distinct Message-IDs)`, 1, messageIds.size);
      }
      expect(`mails to ${email} with other subjects`, 0, mine.filter((mail) => !wanted.includes(mail.subject)).length);
      expect(`email-service: welcome mail rows for ${email}`, 1, sentEmails.get(`${email} welcome`));
    }
    for (const order of orders) {
      expect(`order-service: OrderPlaced of ${order.id}`, 1, orderEvents.get(`${order.id} OrderPlaced`));
      expect(`order-service: OrderCancelled of ${order.id}`, order.cancelled ? 1 : 0, orderEvents.get(`${order.id} OrderCancelled`));
      expect(`stream: OrderPlaced for ${order.id}`, 1, events.get(`OrderPlaced ${order.id}`));
      expect(`stream: OrderCancelled for ${order.id}`, order.cancelled ? 1 : 0, events.get(`OrderCancelled ${order.id}`));
      expect(`read model: order ${order.id} ${order.cancelled ? 'cancelled' : 'placed'}`, 1, readOrders.get(`${order.id} ${order.cancelled ? 'cancelled' : 'placed'}`));
    }
    const resentMails = mails.length - new Set(mails.map((mail) => mail.headers['message-id'])).size;
    return { counts, resentMails };
  }

  /** Rows every outbox still has to publish (all services together). */
  async unpublishedOutboxRows(services = OUTBOX_SERVICES): Promise<number> {
    const counts = await Promise.all(
      services.map(async (service) => Number((await this.rows<{ count: string }>(service, 'SELECT count(*) FROM outbox_messages'))[0]?.count ?? 0)),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** Consumer groups that still have messages to deliver or awaiting an ack, with those numbers. */
  async unsettledConsumers(): Promise<string[]> {
    const connection = await connectNats(this.shop);
    try {
      const jsm = await jetstreamManager(connection);
      const unsettled: string[] = [];
      for await (const info of jsm.consumers.list(topologyFor(this.shop.namespace).eventsStream)) {
        if (info.num_pending > 0 || info.num_ack_pending > 0) unsettled.push(`${info.name} (pending ${info.num_pending}, unacked ${info.num_ack_pending})`);
      }
      return unsettled;
    } finally {
      await connection.close();
    }
  }

  /** The consumer groups of the shop, each with the subjects it filters on. */
  async consumerGroups(): Promise<Array<{ name: string; subjects: string[] }>> {
    const connection = await connectNats(this.shop);
    try {
      const jsm = await jetstreamManager(connection);
      const groups = [];
      for await (const info of jsm.consumers.list(topologyFor(this.shop.namespace).eventsStream)) {
        const { filter_subject, filter_subjects } = info.config;
        groups.push({ name: info.name, subjects: [...(filter_subject ? [filter_subject] : []), ...(filter_subjects ?? [])] });
      }
      return groups;
    } finally {
      await connection.close();
    }
  }

  /** The events from `fromSequence` on, counted by distinct event id per `<type> <order or user id>`. */
  private async eventsFrom(fromSequence: number): Promise<Map<string, number>> {
    const ids = new Map<string, Set<string>>();
    for (const event of await storedEvents(this.shop.namespace, { nats: this.shop, fromSequence })) {
      let envelope: { id?: string; type?: string; data?: { orderId?: string; userId?: string } };
      try {
        envelope = JSON.parse(event.text) as typeof envelope;
      } catch {
        continue; // a poison message of the suite's own
      }
      const key = `${envelope.type} ${envelope.data?.orderId ?? envelope.data?.userId}`;
      ids.set(key, (ids.get(key) ?? new Set()).add(String(envelope.id)));
    }
    return new Map([...ids].map(([key, set]) => [key, set.size]));
  }

  private async countBy(service: string, sql: string, parameters: unknown[]): Promise<Map<string, number>> {
    const rows = await this.rows<{ key: string; count: string }>(service, sql, parameters);
    return new Map(rows.map((row) => [row.key, Number(row.count)]));
  }

  /** A read-only query on a service's own database. */
  async rows<T>(service: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.shop.databaseUrl(service), options: '-c default_transaction_read_only=on' });
    await client.connect();
    try {
      return (await client.query(sql, parameters)).rows as T[];
    } finally {
      await client.end();
    }
  }
}

/** Sums up effect counts: copies lost, copies duplicated, and which effects were off. */
export function tally(counts: EffectCount[], resentMails: number): Tally {
  const wrong = counts.filter((count) => count.found !== count.expected);
  return {
    effects: counts.reduce((sum, count) => sum + count.expected, 0),
    lost: wrong.reduce((sum, count) => sum + Math.max(0, count.expected - count.found), 0),
    duplicated: wrong.reduce((sum, count) => sum + Math.max(0, count.found - count.expected), 0),
    wrong,
    resentMails,
  };
}
