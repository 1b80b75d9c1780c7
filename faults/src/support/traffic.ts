import { randomUUID } from 'node:crypto';
import type { Shop } from '@eventshop/e2e/support';

/** What a customer was told by the shop: their account, their orders, which they cancelled. */
export interface Customer {
  email: string;
  userId: string;
  orders: PlacedOrder[];
}

export interface PlacedOrder {
  id: string;
  sku: string;
  totalCents: number;
  cancelled: boolean;
}

/** An answer, or no answer: `refused` (never reached the service: safe to retry) or `unknown` (it may have acted). */
type Outcome = { status: number; body: unknown } | { failure: 'refused' | 'unknown' };

const PASSWORD = 'correct horse battery';
/** A slow answer is treated as no answer: the request may or may not have been carried out. */
const REQUEST_TIMEOUT_MS = 10_000;
const RETRY_PAUSE_MS = 200;
/** A client gives up on a scenario after this long; the scenario then fails on what is missing. */
const GIVE_UP_AFTER_MS = 120_000;

/**
 * Real traffic over REST, as careful clients send it: customers sign up with newsletter opt-in, log
 * in, place an order each, and every third cancels it. A client retries what failed — at once when
 * its request never got through or was refused with a 5xx, and for a request that may have been
 * carried out (the answer was lost) only after checking whether it was: a sign-up answered 409, an
 * order found in the customer's list, a cancel answered 409. So any loss or duplicate the suite
 * finds is the shop's, not the client's.
 */
export class Traffic {
  /** Customers whose whole journey is done. */
  completed = 0;
  /** Every 5xx answer the clients got, by status. */
  readonly serverErrors = new Map<number, number>();
  private readonly customers: Customer[] = [];
  private readonly deadline = Date.now() + GIVE_UP_AFTER_MS;

  constructor(
    private readonly shop: Shop,
    /** Tags the e-mail addresses, so each scenario's customers are its own. */
    private readonly tag: string,
  ) {}

  get serverErrorCount(): number {
    return [...this.serverErrors.values()].reduce((sum, count) => sum + count, 0);
  }

  /** Runs `count` customer journeys, `concurrency` at a time; resolves with what the customers were told. */
  async run(count: number, concurrency = 3): Promise<Customer[]> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        this.customers.push(await this.journey(index));
        this.completed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return this.customers;
  }

  private async journey(index: number): Promise<Customer> {
    const { customer, token } = await this.newCustomer(`${this.tag}-${index}-${randomUUID().slice(0, 6)}@example.com`);
    const order = await this.placeOrder(token, `${this.tag}-${index}`.slice(0, 64), 1 + (index % 3), 100 + index);
    if (index % 3 === 0) {
      await this.cancel(token, order.id);
      order.cancelled = true;
    }
    customer.orders.push(order);
    return customer;
  }

  /** Signs `email` up (newsletter opt-in) and logs in: the customer, no orders yet, and their access token. */
  async newCustomer(email: string): Promise<{ customer: Customer; token: string }> {
    await this.signUp(email);
    const token = await this.logIn(email);
    return { customer: { email, userId: subjectOf(token), orders: [] }, token };
  }

  private async signUp(email: string): Promise<void> {
    let attempted = false;
    for (;;) {
      const outcome = await this.send('user-service', 'POST', '/users', { email, password: PASSWORD, name: 'Faulty Tester', newsletter: true });
      if ('status' in outcome && outcome.status === 201) return;
      // A 409 after an attempt whose answer was lost: that attempt created the account.
      if ('status' in outcome && outcome.status === 409 && attempted) return;
      if (!this.retryable(outcome)) throw new Error(`sign-up of ${email}: ${explain(outcome)}`);
      attempted ||= !('failure' in outcome && outcome.failure === 'refused');
      await this.pause();
    }
  }

  private async logIn(email: string): Promise<string> {
    for (;;) {
      const outcome = await this.send('user-service', 'POST', '/auth/login', { email, password: PASSWORD });
      if ('status' in outcome && outcome.status === 200) return (outcome.body as { accessToken: string }).accessToken;
      if (!this.retryable(outcome)) throw new Error(`login of ${email}: ${explain(outcome)}`);
      await this.pause();
    }
  }

  /** Places an order of one line with `token`, once: `sku` must be new to the customer (it finds an order whose answer was lost). */
  async placeOrder(token: string, sku: string, quantity: number, unitPriceCents: number): Promise<PlacedOrder> {
    for (;;) {
      const outcome = await this.send('order-service', 'POST', '/orders', { items: [{ sku, quantity, unitPriceCents }] }, token);
      if ('status' in outcome && outcome.status === 201) {
        const { id, totalCents } = outcome.body as { id: string; totalCents: number };
        return { id, sku, totalCents, cancelled: false };
      }
      if (!this.retryable(outcome)) throw new Error(`order ${sku}: ${explain(outcome)}`);
      // Placing an order is not idempotent: after an answer that may hide a placed order, look first.
      if (!('status' in outcome && outcome.status === 503) && !('failure' in outcome && outcome.failure === 'refused')) {
        const placed = (await this.myOrders(token)).find((order) => order.items.some((item) => item.sku === sku));
        if (placed) return { id: placed.id, sku, totalCents: placed.totalCents, cancelled: false };
      }
      await this.pause();
    }
  }

  private async myOrders(token: string): Promise<Array<{ id: string; totalCents: number; items: Array<{ sku: string }> }>> {
    for (;;) {
      const outcome = await this.send('order-service', 'GET', '/orders', undefined, token);
      if ('status' in outcome && outcome.status === 200) return outcome.body as Array<{ id: string; totalCents: number; items: Array<{ sku: string }> }>;
      if (!this.retryable(outcome)) throw new Error(`listing orders: ${explain(outcome)}`);
      await this.pause();
    }
  }

  private async cancel(token: string, orderId: string): Promise<void> {
    let attempted = false;
    for (;;) {
      const outcome = await this.send('order-service', 'POST', `/orders/${orderId}/cancel`, undefined, token);
      if ('status' in outcome && outcome.status === 200) return;
      // A 409 after an attempt whose answer was lost: that attempt cancelled it.
      if ('status' in outcome && outcome.status === 409 && attempted) return;
      if (!this.retryable(outcome)) throw new Error(`cancel of ${orderId}: ${explain(outcome)}`);
      attempted ||= !('failure' in outcome && outcome.failure === 'refused');
      await this.pause();
    }
  }

  /** Whether a client would try again: no answer, or a 5xx. Counts the 5xx. */
  private retryable(outcome: Outcome): boolean {
    if ('failure' in outcome) return true;
    if (outcome.status < 500) return false;
    this.serverErrors.set(outcome.status, (this.serverErrors.get(outcome.status) ?? 0) + 1);
    return true;
  }

  private async send(service: string, method: string, path: string, body?: unknown, token?: string): Promise<Outcome> {
    try {
      const response = await fetch(`${this.shop.url(service)}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      return { failure: code === 'ECONNREFUSED' ? 'refused' : 'unknown' };
    }
  }

  private async pause(): Promise<void> {
    if (Date.now() > this.deadline) throw new Error(`the ${this.tag} traffic gave up after ${GIVE_UP_AFTER_MS} ms of failed requests`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
  }
}

function explain(outcome: Outcome): string {
  return 'failure' in outcome ? `no answer (${outcome.failure})` : `${outcome.status} ${JSON.stringify(outcome.body)}`;
}

/** The user id in an access token (its `sub`); the token is ours, so it is not verified here. */
function subjectOf(token: string): string {
  const payload = token.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string }).sub;
}
