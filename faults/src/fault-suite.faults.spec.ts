import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { contractFor, OrderCancelledV1, OrderPlacedV1, UserSignedUpV1 } from '@eventshop/contracts';
import { busIdentitiesIn, ensureStreams, namespacedSubject, topologyFor } from '@eventshop/messaging';
import { freePorts } from '@eventshop/dev-runner';
import { ADMIN, eventually, startSecuredNats, TcpFaultProxy, uniqueName, type SecuredNats } from '@eventshop/messaging/testing';
import { caughtMails, connectNats, deadLetters, mailsTo, publishRaw, ROOT, startShop, storedEvents, type Shop } from '@eventshop/e2e/support';
import { EffectLedger, tally, type Tally } from './support/effects.js';
import { PrivateServer, SmtpFront } from './support/private-servers.js';
import { Traffic, type Customer } from './support/traffic.js';
import { printScenarioTable, type ScenarioRow } from './support/report.js';

/**
 * The fault suite: the five services as processes on a NATS and a PostgreSQL of the suite's own,
 * real traffic over REST, and one fault per scenario while the traffic runs. Every scenario must end
 * with every effect of its traffic present exactly once — accounts, customer copies, orders,
 * subscriptions, mails (by Message-ID), events, read-model rows — every consumer group with nothing
 * pending or unacked, every outbox empty, and only the expected dead letters. A table of all
 * scenarios is printed at the end.
 */

const SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service', 'read-model-service'];
const ADMIN_TOKEN = 'faults-admin-token-0123456789abcdef012345';
/** Customers per scenario: enough to keep every service busy across the fault, modest for two cores. */
const CUSTOMERS = 30;
/** How long an outage lasts while the traffic goes on: the fault itself, not a wait for something. */
const OUTAGE_MS = 3_000;
/** How long the shop may take to deliver every effect once the fault is over. */
const SETTLE_TIMEOUT_MS = 120_000;
const SCENARIO_TIMEOUT_MS = 300_000;
/** What every shop of the suite runs with: clients that retry a lot, and the read model's admin API on. */
const SHOP_ENV: Record<string, Record<string, string>> = {
  'user-service': { AUTH_RATE_LIMIT_PER_CLIENT: '100000', AUTH_RATE_LIMIT_PER_ACCOUNT: '1000' },
  'read-model-service': { ADMIN_TOKEN },
};

interface Scenario {
  fault: string;
  /** Puts the fault in place, once the traffic is under way; may return a note for the table. */
  inject(): Promise<string | void>;
  /** Ends the fault (restarts what was stopped); may return a note for the table. */
  heal(): Promise<string | void>;
  /** Keep the fault for OUTAGE_MS (default) or not at all (a fault that is over once injected). */
  outage?: boolean;
  /** Customers of the scenario's own, besides the traffic's: their effects are counted too. */
  customers?(): Customer[];
  /** Checks of the scenario's own, once every effect is there and everything settled; may return a note. */
  verify?(): Promise<string | void>;
}

/** A running shop and the ledger that counts its effects: the suite's own, or a scenario's. */
interface Stage {
  shop: Shop;
  ledger: EffectLedger;
}

let nats: PrivateServer;
let postgres: PrivateServer;
/** user-service reaches NATS through this line, so the suite can cut it and let its outbox fill up. */
let userServiceNatsLine: TcpFaultProxy;
/** email-service's SMTP port: forwards to the catcher, or refuses, or hangs. */
let smtp: SmtpFront;
let shop: Shop;
let ledger: EffectLedger;
const rows: ScenarioRow[] = [];
/** `Nats-Msg-Id`s of the poison messages the suite published: their dead letters are expected. */
const poisonIds = new Set<string>();

beforeAll(async () => {
  ({ nats, postgres } = await PrivateServer.startPair());
  userServiceNatsLine = await TcpFaultProxy.start({ host: '127.0.0.1', port: nats.port });
  const [smtpPort = 0] = await freePorts(1);
  shop = await startShop(SERVICES, {
    natsUrl: nats.url,
    postgresUrl: postgres.url,
    serviceEnv: {
      ...SHOP_ENV,
      'user-service': { ...SHOP_ENV['user-service'], NATS_URL: userServiceNatsLine.route(nats.url) },
      'email-service': { SMTP_PORT: String(smtpPort) },
    },
  });
  smtp = await SmtpFront.start(smtpPort, shop.system.mail!.smtpPort);
  ledger = new EffectLedger(shop);
}, 180_000);

afterAll(async () => {
  printScenarioTable(rows);
  await shop?.stop();
  await userServiceNatsLine?.close();
  await smtp?.close();
  await Promise.all([nats?.remove(), postgres?.remove()]);
}, 90_000);

/** Runs the traffic on `stage`, injects the fault a third of the way in, heals it, and checks every effect. */
async function runScenario(scenario: Scenario, { shop, ledger }: Stage): Promise<void> {
  const row: ScenarioRow = { traffic: `${CUSTOMERS} customers`, fault: scenario.fault, lost: '-', duplicated: '-', serverErrors: '-', recovery: '-', notes: [] };
  rows.push(row);
  await ledger.forgetMails();
  const fromSequence = await ledger.nextStreamSequence();
  const traffic = new Traffic(shop, `f${rows.length}`);
  const journeys = traffic.run(CUSTOMERS);
  // Failures of the traffic surface when it is awaited below; until then, keep Node quiet about them.
  journeys.catch(() => {});

  await eventually(async () => (traffic.completed >= CUSTOMERS / 3 ? true : undefined), 60_000, 'the traffic to get under way');
  const injected = await scenario.inject();
  if (injected) row.notes.push(injected);
  if (scenario.outage !== false) await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const faultEndedAt = Date.now();
  const healed = await scenario.heal();
  if (healed) row.notes.push(healed);

  const customers = [...(await journeys), ...(scenario.customers?.() ?? [])];
  row.serverErrors = String(traffic.serverErrorCount) + (traffic.serverErrorCount ? ` (${[...traffic.serverErrors].map(([status, n]) => `${status}×${n}`).join(', ')})` : '');

  // Settled: every effect is there at least once, no consumer has anything left, every outbox is empty.
  let result: Tally | undefined;
  const settled = await eventually(
    async () => {
      const { counts, resentMails } = await ledger.count(customers, fromSequence);
      result = tally(counts, resentMails);
      if (result.lost > 0) return undefined;
      if ((await ledger.unsettledConsumers()).length > 0 || (await ledger.unpublishedOutboxRows()) > 0) return undefined;
      return true;
    },
    SETTLE_TIMEOUT_MS,
    'every effect of the traffic, and every consumer and outbox to settle',
  ).catch(() => false);
  if (settled) {
    row.recovery = `${((Date.now() - faultEndedAt) / 1000).toFixed(1)} s`;
    // Counted again once nothing moves: a duplicate, had there been one, is in the outputs by now.
    const { counts, resentMails } = await ledger.count(customers, fromSequence);
    result = tally(counts, resentMails);
  } else {
    row.recovery = `not within ${SETTLE_TIMEOUT_MS / 1000} s`;
    const unsettled = await ledger.unsettledConsumers();
    if (unsettled.length > 0) row.notes.push(`unsettled: ${unsettled.join(', ')}`);
  }
  if (result) row.traffic = `${CUSTOMERS} customers, ${result.effects} effects`;
  row.lost = String(result?.lost ?? '?');
  row.duplicated = String(result?.duplicated ?? '?');
  if (result?.resentMails) row.notes.push(`${result.resentMails} mail(s) resent with the same Message-ID`);

  const unexpectedDeadLetters = (await deadLetters(shop.namespace, shop)).filter((letter) => !poisonIds.has(originalIdOf(letter.messageId)));
  if (unexpectedDeadLetters.length > 0) row.notes.push(`${unexpectedDeadLetters.length} unexpected dead letter(s)`);

  expect({ lost: result?.lost, duplicated: result?.duplicated, wrong: result?.wrong.slice(0, 10) }).toEqual({ lost: 0, duplicated: 0, wrong: [] });
  expect({ unsettledConsumers: await ledger.unsettledConsumers(), unpublishedOutboxRows: await ledger.unpublishedOutboxRows() }).toEqual({
    unsettledConsumers: [],
    unpublishedOutboxRows: 0,
  });
  expect(unexpectedDeadLetters.map((letter) => `${letter.consumer}: ${letter.reason}`)).toEqual([]);
  // A fault may make the shop answer "not now" (503 + Retry-After), never "I broke" (500 and kin).
  const brokenAnswers = [...traffic.serverErrors].filter(([status]) => status !== 503);
  // The services' own words say which request broke and why (the client only sees "Internal server error").
  // Errors only, and not the 503s of the same fault: there are many, and they would push out the one that matters.
  const errorLines = shop.recentLogs().filter((line) => /"level":"(error|fatal)"/.test(line) && !line.includes('"statusCode":503'));
  if (brokenAnswers.length > 0) console.error(`${scenario.fault}: ${JSON.stringify(brokenAnswers)}; the services' recent errors:\n${errorLines.slice(-40).join('\n')}`);
  expect(brokenAnswers).toEqual([]);
  const verified = await scenario.verify?.();
  if (verified) row.notes.push(verified);
}

/** The `Nats-Msg-Id` a dead letter had on the events stream (the middleware ids it `<id>:dlq:…`). */
const originalIdOf = (deadLetterId: string) => deadLetterId.split(':dlq:')[0] ?? deadLetterId;

const killed = (service: string, signal: 'SIGKILL' | 'SIGTERM'): Scenario => ({
  fault: `${signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${service}`,
  inject: () => shop.system.kill(service, signal),
  heal: () => shop.system.start(service),
});

/** kill -9 of user-service while its outbox holds events it has not published: they must go out after the restart. */
const userServiceKilledWithUnpublishedOutbox: Scenario = {
  fault: 'kill -9 user-service (outbox unpublished)',
  async inject() {
    userServiceNatsLine.interrupt();
    const unpublished = await eventually(
      async () => {
        const count = await ledger.unpublishedOutboxRows(['user-service']);
        return count >= 3 ? count : undefined;
      },
      30_000,
      'sign-ups to pile up in the outbox',
    );
    await shop.system.kill('user-service', 'SIGKILL');
    const atKill = await ledger.unpublishedOutboxRows(['user-service']);
    expect(atKill).toBeGreaterThanOrEqual(unpublished);
    return `${atKill} outbox rows unpublished at the kill`;
  },
  async heal() {
    userServiceNatsLine.restore();
    await shop.system.start('user-service');
  },
};

function natsRestarted(signal: 'graceful' | 'SIGKILL'): Scenario {
  return {
    fault: `NATS ${signal === 'graceful' ? 'SIGTERM' : 'kill -9'} + restart`,
    inject: () => nats.stop(signal),
    heal: () => nats.start(),
  };
}

const postgresRestarted: Scenario = {
  fault: 'PostgreSQL restart',
  inject: () => postgres.stop(),
  heal: () => postgres.start(),
};

const smtpRefusing: Scenario = {
  fault: 'SMTP refusing connections',
  inject: () => smtp.refuse(),
  heal: () => smtp.forward(),
};

const smtpHung: Scenario = {
  fault: 'SMTP hung (accepts, never greets)',
  async inject() {
    await smtp.hang();
    await eventually(async () => (smtp.hungConnections > 0 ? true : undefined), 30_000, 'email-service to connect to the hung SMTP server');
  },
  async heal() {
    const held = smtp.hungConnections;
    await smtp.forward();
    return `${held} SMTP connection(s) hung when SMTP came back (left hanging)`;
  },
};

/** Publishes straight onto the events stream, as a broken or hostile publisher would. */
async function publishPoison(payload: string): Promise<void> {
  const id = `poison-${randomUUID()}`;
  poisonIds.add(id);
  await publishRaw(shop.namespace, UserSignedUpV1.subject, payload, id, shop);
}

/** Every consumer group that receives UserSignedUp must park each poison message once, with a reason. */
async function expectPoisonDeadLettered(): Promise<string> {
  const subject = namespacedSubject(topologyFor(shop.namespace), UserSignedUpV1.subject);
  const groups = (await ledger.consumerGroups()).filter((group) => group.subjects.some((filter) => subjectMatches(filter, subject))).map((group) => group.name);
  const expected = [...poisonIds].flatMap((id) => groups.map((group) => `${group} ${id}`)).sort();
  const parked = await eventually(
    async () => {
      const letters = (await deadLetters(shop.namespace, shop)).filter((letter) => poisonIds.has(originalIdOf(letter.messageId)));
      return letters.length >= expected.length ? letters : undefined;
    },
    30_000,
    `${expected.length} dead letters (${poisonIds.size} poison messages × ${groups.length} consumer groups)`,
  ).catch(() => deadLetters(shop.namespace, shop));
  const found = parked.filter((letter) => poisonIds.has(originalIdOf(letter.messageId)));
  expect(found.map((letter) => `${letter.consumer} ${originalIdOf(letter.messageId)}`).sort()).toEqual(expected);
  expect(found.filter((letter) => letter.reason.trim() === '')).toEqual([]);
  return `${found.length} dead letters, as expected`;
}

const poisonEnvelopes: Scenario = {
  fault: 'poison: not JSON, envelope invalid',
  outage: false,
  async inject() {
    await publishPoison('{not json');
    await publishPoison(JSON.stringify({ id: 'not-a-uuid', type: 'UserSignedUp', version: 1, data: { email: 7 } }));
  },
  heal: expectPoisonDeadLettered,
};

const nearMaxPayload: Scenario = {
  fault: 'poison: event just under max payload',
  outage: false,
  async inject() {
    const connection = await connectNats(shop);
    const maxPayload = connection.info?.max_payload ?? 1024 * 1024;
    await connection.close();
    // A well-formed UserSignedUp whose name breaks the contract's 100-character limit, padded to
    // leave 512 bytes of the server's max payload: room for its own headers, not for a dead letter's.
    const envelope = UserSignedUpV1.create(
      { userId: randomUUID(), email: 'huge@example.com', name: 'Huge', newsletterOptIn: true, occurredAt: new Date().toISOString() },
      { correlationId: 'near-max-payload', source: 'user-service', aggregateId: 'huge' },
    );
    const bare = JSON.stringify(envelope).length - 'Huge'.length;
    const payload = JSON.stringify({ ...envelope, data: { ...envelope.data, name: 'x'.repeat(maxPayload - 512 - bare) } });
    await publishPoison(payload);
    return `${payload.length} bytes (max payload ${maxPayload})`;
  },
  heal: expectPoisonDeadLettered,
};

/** NATS subject matching of a consumer's filter (`*` one token, `>` the rest). */
function subjectMatches(filter: string, subject: string): boolean {
  const want = filter.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

const SCENARIOS: Scenario[] = [
  userServiceKilledWithUnpublishedOutbox,
  ...SERVICES.filter((service) => service !== 'user-service').map((service) => killed(service, 'SIGKILL')),
  ...SERVICES.map((service) => killed(service, 'SIGTERM')),
  natsRestarted('graceful'),
  natsRestarted('SIGKILL'),
  postgresRestarted,
  smtpRefusing,
  poisonEnvelopes,
  smtpHung,
  // Last: a poison message that is never parked is redelivered for ever, and would hold every later
  // scenario's consumers unsettled.
  nearMaxPayload,
];

describe('the shop under faults: nothing lost, nothing duplicated', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.fault, () => runScenario(scenario, { shop, ledger }), SCENARIO_TIMEOUT_MS);
  }

  it('a read-model rebuild after all of it equals the live tables', async () => {
    const row: ScenarioRow = { traffic: 'all of the above', fault: 'read-model rebuild', lost: '-', duplicated: '-', serverErrors: '-', recovery: '-', notes: [] };
    rows.push(row);
    // Every event delivered and every scenario's effects checked; a poison message still being
    // redelivered (one that failed to be parked) does not change the read model, so it may stay unacked.
    await eventually(async () => ((await ledger.unsettledConsumers()).every((line) => line.includes('pending 0,')) ? true : undefined), 60_000, 'every consumer to have nothing left to deliver');
    const live = await readModelTables();
    const startedAt = Date.now();
    const response = await fetch(`${shop.url('read-model-service')}/admin/rebuild`, { method: 'POST', headers: { 'X-Admin-Token': ADMIN_TOKEN } });
    row.recovery = `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
    expect(response.status).toBe(200);
    const rebuilt = await readModelTables();
    const tables = Object.keys(live) as Array<keyof typeof live>;
    // Rows only one side has (or has differently): missing from the rebuild = lost, extra = duplicated.
    const onlyIn = (from: typeof live, other: typeof live) =>
      tables.reduce((sum, table) => {
        const theirs = new Set(other[table].map((r) => JSON.stringify(r)));
        return sum + from[table].filter((r) => !theirs.has(JSON.stringify(r))).length;
      }, 0);
    row.lost = String(onlyIn(live, rebuilt));
    row.duplicated = String(onlyIn(rebuilt, live));
    row.notes.push(`${live.users.length} users, ${live.orders.length} orders, ${live.timeline.length} timeline entries compared`);
    expect(rebuilt).toEqual(live);
  }, 120_000);

  // Last, on a shop of its own: the suite's NATS is open (it has to be, to publish poison).
  describe('on a NATS with one user per service', () => {
    let secured: SecuredStage | undefined;
    beforeAll(async () => {
      secured = await startSecuredShop();
    }, 180_000);
    afterAll(() => secured?.stop(), 90_000);

    it('forged events on a permissioned NATS are refused', () => runScenario(forgedEvents(secured!), secured!), SCENARIO_TIMEOUT_MS);
  });
});

interface SecuredStage extends Stage {
  nats: SecuredNats;
  stop(): Promise<void>;
}

/**
 * The shop again, on a nats-server of its own with the generated authorization (nats/auth.conf's
 * rules, for this namespace) and on the suite's PostgreSQL: the admin provisions the streams first,
 * as `npm run nats:provision` does, and every service runs as its own NATS user.
 */
async function startSecuredShop(): Promise<SecuredStage> {
  const namespace = uniqueName('forged');
  const secured = await startSecuredNats(busIdentitiesIn(join(ROOT, 'apps')), namespace);
  try {
    const admin = await secured.connect(ADMIN);
    try {
      await ensureStreams(await jetstreamManager(admin), topologyFor(namespace));
    } finally {
      await admin.close();
    }
    const securedShop = await startShop(SERVICES, {
      namespace,
      natsUrl: secured.url,
      postgresUrl: postgres.url,
      natsAdmin: secured.credentials(ADMIN),
      serviceEnv: Object.fromEntries(
        SERVICES.map((service) => [service, { ...SHOP_ENV[service], NATS_USER: service, NATS_PASSWORD: secured.credentials(service).password }]),
      ),
    });
    return {
      shop: securedShop,
      ledger: new EffectLedger(securedShop),
      nats: secured,
      async stop() {
        await securedShop.stop();
        await secured.stop();
      },
    };
  } catch (error) {
    await secured.stop();
    throw error;
  }
}

/**
 * An attacker on the permissioned NATS while the traffic runs: first with no user, then with
 * email-service's and newsletter-service's (a leaked password), forging a sign-up that would move a
 * real customer's mail to the attacker's address, an order she never placed and the cancellation of
 * one she did; last, asking the read model for her data. The server refuses every one of them, so
 * nothing of it reaches the stream, and the customer's next order confirmation still goes to her.
 */
function forgedEvents({ shop, ledger, nats: server }: SecuredStage): Scenario {
  const attackerEmail = `mallory-${randomUUID().slice(0, 6)}@example.com`;
  const phantomOrderId = randomUUID();
  const forgedIds: string[] = [];
  const victims = new Traffic(shop, 'victim');
  let victim: Customer | undefined;
  let victimToken = '';
  const topology = topologyFor(shop.namespace);

  /** Publishes `event` on its contract's subject as `identity`, which the server must refuse. */
  const expectRefused = async (identity: string, event: { id: string; type: string; version: number }) => {
    forgedIds.push(event.id);
    const subject = namespacedSubject(topology, contractFor(event.type, event.version)!.subject);
    const connection = await server.connect(identity);
    try {
      await expect(jetstream(connection).publish(subject, JSON.stringify(event), { msgID: event.id, timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
    } finally {
      await connection.close();
    }
  };

  return {
    fault: 'forged events on a permissioned NATS',
    outage: false,
    customers: () => (victim ? [victim] : []),
    async inject() {
      // The victim: signed up, known to email-service, with an order of her own.
      const signedUp = await victims.newCustomer(`victim-${randomUUID().slice(0, 6)}@example.com`);
      victim = signedUp.customer;
      victimToken = signedUp.token;
      const realOrder = await victims.placeOrder(victimToken, 'victim-1', 1, 2_500);
      victim.orders.push(realOrder);
      await eventually(
        async () => ((await ledger.rows('email-service', 'SELECT 1 FROM recipients WHERE user_id = $1', [victim!.userId])).length > 0 ? true : undefined),
        30_000,
        'email-service to know the victim',
      );
      const { userId } = victim;
      const refused: string[] = [];

      // (a) No user at all.
      await expect(connect({ servers: shop.natsUrl, timeout: 5_000 })).rejects.toThrow(/Authorization Violation/i);
      refused.push('anonymous connection');

      // (b) A leaked service password: each forgery is refused by the server, not just ignored by a consumer.
      const forge = () => [
        UserSignedUpV1.create(
          { userId, email: attackerEmail, name: 'Mallory', newsletterOptIn: false, occurredAt: new Date().toISOString() },
          { correlationId: randomUUID(), source: 'user-service', aggregateId: userId },
        ),
        OrderPlacedV1.create(
          { orderId: phantomOrderId, userId, items: [{ sku: 'phantom', quantity: 1, unitPriceCents: 99_900 }], totalCents: 99_900, placedAt: new Date().toISOString(), orderVersion: 1 },
          { correlationId: randomUUID(), source: 'order-service', aggregateId: phantomOrderId },
        ),
        OrderCancelledV1.create(
          { orderId: realOrder.id, userId, totalCents: realOrder.totalCents, cancelledAt: new Date().toISOString(), orderVersion: 2 },
          { correlationId: randomUUID(), source: 'order-service', aggregateId: realOrder.id },
        ),
      ];
      for (const identity of ['email-service', 'newsletter-service']) {
        for (const forged of forge()) await expectRefused(identity, forged);
      }
      refused.push(`${forgedIds.length} forged publishes as email-/newsletter-service (UserSignedUp with the attacker's email, phantom OrderPlaced, OrderCancelled of a real order)`);

      // (c) The read model's queries: no service may send them, and without the user's token the
      // read model answers none (asked as the admin, the only user the server lets send one).
      // The subject as read-model-service's querySubject() names it (apps are not imported here).
      const query = `${shop.namespace}.readmodel.user.get`;
      const packet = JSON.stringify({ id: randomUUID(), pattern: query, data: { userId } });
      const asService = await server.connect('email-service');
      try {
        await expect(asService.request(query, packet, { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
      } finally {
        await asService.close();
      }
      const asAdmin = await server.connect(ADMIN);
      try {
        const reply = (await asAdmin.request(query, packet, { timeout: 5_000 })).json<{ response?: unknown; err?: { statusCode?: number } }>();
        expect(reply.response).toBeUndefined();
        expect(reply.err?.statusCode).toBe(401);
      } finally {
        await asAdmin.close();
      }
      refused.push('readmodel.user.get as email-service (permissions violation) and without a token (401, no data)');
      return `refused: ${refused.join('; ')}`;
    },
    async heal() {
      // Her next order, after the forged sign-up: its confirmation must go to her.
      victim!.orders.push(await victims.placeOrder(victimToken, 'victim-2', 2, 1_250));
    },
    async verify() {
      const { userId, email, orders } = victim!;
      const [realOrder, nextOrder] = orders;
      const events = await storedEvents(shop.namespace, { nats: shop });
      expect(events.filter((event) => forgedIds.some((id) => event.text.includes(id)) || event.text.includes(attackerEmail) || event.text.includes(phantomOrderId))).toEqual([]);

      expect(await ledger.rows('email-service', 'SELECT email FROM recipients WHERE user_id = $1', [userId])).toEqual([{ email }]);
      const mails = await caughtMails(shop.mailApi);
      expect(mailsTo(mails, attackerEmail)).toEqual([]);
      expect(mailsTo(mails, email).map((mail) => mail.subject)).toContain(`Your order ${nextOrder!.id.slice(0, 8)} is confirmed`);

      expect(await ledger.rows('order-service', 'SELECT 1 FROM order_events WHERE stream_id = $1', [phantomOrderId])).toEqual([]);
      expect(await ledger.rows('read-model-service', 'SELECT 1 FROM read_model.orders WHERE order_id = $1', [phantomOrderId])).toEqual([]);
      // The read model agrees with order-service on her real order: placed, not cancelled, same total.
      const [history] = await ledger.rows<{ types: string[]; total: number }>(
        'order-service',
        `SELECT array_agg(type ORDER BY version) AS types, (array_agg((data->>'totalCents')::int ORDER BY version))[1] AS total FROM order_events WHERE stream_id = $1`,
        [realOrder!.id],
      );
      const [projected] = await ledger.rows<{ status: string; total: string }>('read-model-service', 'SELECT status, total_cents AS total FROM read_model.orders WHERE order_id = $1', [realOrder!.id]);
      expect(history).toEqual({ types: ['OrderPlaced'], total: realOrder!.totalCents });
      expect({ status: projected?.status, total: Number(projected?.total) }).toEqual({ status: 'placed', total: history!.total });
      return `victim's address unchanged, no phantom order, no forged event in the stream`;
    },
  };
}

/** The read model's three tables, every row, in primary-key order (JSON-comparable). */
async function readModelTables() {
  const read = (sql: string) => ledger.rows<Record<string, unknown>>('read-model-service', sql);
  const [users, orders, timeline] = await Promise.all([
    read('SELECT * FROM read_model.users ORDER BY user_id'),
    read('SELECT * FROM read_model.orders ORDER BY order_id'),
    read('SELECT * FROM read_model.timeline_entries ORDER BY event_id'),
  ]);
  return { users, orders, timeline };
}
