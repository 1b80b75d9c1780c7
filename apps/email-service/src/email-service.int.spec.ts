import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import request from 'supertest';
import { SMTPServer } from 'smtp-server';
import type { DataSource } from 'typeorm';
import { type PersonalData, UserSignedUpV2 } from '@eventshop/contracts';
import { consumerGroupName, type JetStreamPublisher, MessagingRuntime, MetricNames, type Topology } from '@eventshop/messaging';
import { answerPersonalData, eventsOnStream, eventually, outboxDrained, publishEvent, TcpFaultProxy } from '@eventshop/messaging/testing';
import { scrapedSample, serviceTestConfig, startServiceUnderTest, type ServiceUnderTest } from '@eventshop/platform/testing';
import { type EmailServiceConfig, loadEmailServiceConfig, manifest } from './config.js';
import { EmailServiceModule } from './email-service.module.js';
import { SMTP_DEPENDENCY } from './mail/infrastructure/breaker-guarded-mailer.js';
import { SEND_WELCOME_EMAIL_V2 } from './send-welcome-email/send-welcome-email.handler.js';

/** Small numbers so that an outage many times the retry budget fits in a few seconds. */
const SMTP_TIMEOUT_MS = 500;
const BREAKER_RESET_MS = 300;
/** The welcome-email handler's `retry.maxAttempts` (send-welcome-email.event.controller.ts). */
const WELCOME_MAX_ATTEMPTS = 10;
/** The time in which an outage used to spend every attempt of a held message: one probe per reset. */
const RETRY_BUDGET_MS = WELCOME_MAX_ATTEMPTS * BREAKER_RESET_MS;
const PATIENCE_MS = 20_000;

interface CaughtMail {
  readonly to: string;
  readonly messageId: string;
}

/** The test's own SMTP server: it keeps what it was given, and refuses `bounce-…` recipients with a 550. */
async function startSmtpCatcher() {
  const caught: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce-')) callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const messageId = /^Message-ID:\s*(\S+)/im.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '';
        for (const recipient of session.envelope.rcptTo) caught.push({ to: recipient.address, messageId });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { caught, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('email-service (in-process, real PostgreSQL + NATS JetStream, an SMTP server of its own)', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpCatcher>>;
  let line: TcpFaultProxy;
  let service: ServiceUnderTest<EmailServiceConfig>;
  let topology: Topology;
  let app: INestApplication;
  let dataSource: DataSource;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  let stopAnswering: (() => void) | undefined;
  const people = new Map<string, Omit<PersonalData, 'userId'>>();

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    // The service talks to SMTP through a line the test can cut (refuse) or stall (hang).
    line = await TcpFaultProxy.start({ host: '127.0.0.1', port: smtp.port });
    const config = serviceTestConfig(loadEmailServiceConfig, {
      name: 'email',
      env: {
        SMTP_PORT: String(line.port),
        SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
        SMTP_BREAKER_RESET_MS: String(BREAKER_RESET_MS),
        NEWSLETTER_LINK_SECRET: 'int-test-newsletter-link-secret',
      },
    });
    service = await startServiceUnderTest({ serviceName: manifest.name, config, module: EmailServiceModule.register });
    ({ app, topology, dataSource, jsm, publisher } = service);
    // user-service's part: the email and name a sign-up no longer carries.
    stopAnswering = answerPersonalData(service.nats, config.NATS_NAMESPACE, people);
  }, 60_000);

  afterAll(async () => {
    stopAnswering?.();
    await service?.stop();
    await line?.close();
    await smtp?.close();
  }, 30_000);

  /** Publishes a sign-up the way user-service's outbox relay does; returns the address mailed. */
  async function signUp(userId: string = randomUUID()): Promise<string> {
    const email = `${userId}@example.com`;
    people.set(userId, { email, name: 'Ann' });
    const event = UserSignedUpV2.create(
      { userId, newsletterOptIn: false, occurredAt: new Date().toISOString() },
      { correlationId: `signup-${userId}`, source: 'user-service', aggregateId: userId },
    );
    await publishEvent(publisher, topology, event);
    return email;
  }

  const mailsTo = (email: string) => smtp.caught.filter((mail) => mail.to === email);

  /** True once the welcome-email group has been handed every sign-up and acked it. */
  const welcomesSettled = async () => {
    const info = await jsm.consumers.info(topology.eventsStream, consumerGroupName(manifest.name, SEND_WELCOME_EMAIL_V2));
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  };

  /** Deliveries of the welcome-email handler by outcome, from the service's own metrics. */
  async function welcomeOutcomes(): Promise<Record<string, number>> {
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    const outcomes: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith('eventshop_messages_handled_total') || !line.includes(`__${SEND_WELCOME_EMAIL_V2}"`)) continue;
      const outcome = /outcome="(\w+)"/.exec(line)?.[1] ?? '?';
      outcomes[outcome] = (outcomes[outcome] ?? 0) + Number(line.split(' ').pop());
    }
    return outcomes;
  }

  const deadLetters = async () => (await jsm.streams.info(topology.deadLetterStream)).state.messages;

  /** The SMTP breaker's state as /metrics exports it: 0 closed, 1 half-open, 2 open. */
  const breakerGauge = async () =>
    scrapedSample((await request(app.getHttpServer()).get('/metrics').expect(200)).text, MetricNames.CircuitBreakerState, { dependency: SMTP_DEPENDENCY });

  /**
   * Sessions on the service's database inside a transaction (idle in it, or holding a transaction
   * id) that has been open for longer than a short write takes: such a transaction holds back every
   * outbox relay on this PostgreSQL server. (The relay's own batches and the recipient handler's
   * writes come and go within milliseconds.)
   */
  const longOpenTransactions = async () =>
    (
      (await dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND (state LIKE 'idle in transaction%' OR backend_xid IS NOT NULL)
            AND clock_timestamp() - xact_start > interval '100 milliseconds'`,
      )) as Array<{ n: number }>
    )[0]!.n;

  it('sends a welcome mail once, records it sent, and announces WelcomeEmailSent through the outbox', async () => {
    const userId = randomUUID();
    const email = await signUp(userId);
    await eventually(async () => (mailsTo(email).length === 1 ? true : undefined), PATIENCE_MS, 'the welcome mail');
    await eventually(welcomesSettled, PATIENCE_MS, 'the sign-up to be acked');

    const [row] = (await dataSource.query(`SELECT kind, state, sent_at, message_id FROM sent_emails WHERE recipient = $1`, [email])) as Array<{
      kind: string;
      state: string;
      sent_at: Date | null;
      message_id: string;
    }>;
    expect(row).toMatchObject({ kind: 'welcome', state: 'sent', sent_at: expect.any(Date) });
    expect(mailsTo(email).map((mail) => mail.messageId)).toEqual([row!.message_id]);
    await eventually(() => outboxDrained(dataSource), PATIENCE_MS, 'the outbox to be relayed');
    const announced = (await eventsOnStream(jsm, topology)).filter(
      ({ envelope }) => envelope.source === 'email-service' && envelope.aggregateId === userId,
    );
    expect(announced.map(({ envelope }) => envelope.type)).toEqual(['WelcomeEmailSent']);
  }, 30_000);

  it('holds no transaction open while the SMTP server hangs (accepts the connection, never greets)', async () => {
    line.hang();
    try {
      const connectionsBefore = line.connectionsAccepted;
      const email = await signUp();
      await eventually(async () => (line.connectionsAccepted > connectionsBefore ? true : undefined), PATIENCE_MS, 'a send to start');
      // Sampled while the send waits for a greeting that never comes (it gives up after SMTP_TIMEOUT_MS).
      const samples: number[] = [];
      for (const startedAt = Date.now(); Date.now() - startedAt < 2 * SMTP_TIMEOUT_MS; ) {
        samples.push(await longOpenTransactions());
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(samples.length).toBeGreaterThan(10);
      expect(samples.filter((open) => open > 0)).toEqual([]);
      // The intent is committed and visible while the send hangs.
      expect(await dataSource.query(`SELECT state FROM sent_emails WHERE recipient = $1`, [email])).toEqual([{ state: 'sending' }]);
      expect(mailsTo(email)).toEqual([]);

      line.restore();
      await eventually(async () => (mailsTo(email).length === 1 ? true : undefined), PATIENCE_MS, 'the mail once SMTP answers again');
      await eventually(welcomesSettled, PATIENCE_MS, 'the sign-up to be acked');
      expect(mailsTo(email)).toHaveLength(1);
    } finally {
      line.restore();
    }
  }, 30_000);

  it(`waits out an SMTP outage (refusing, then hanging) of several times maxAttempts × breaker reset: no attempt spent, nothing dead-lettered, every mail once`, async () => {
    const breaker = app.get(MessagingRuntime).breaker(SMTP_DEPENDENCY);
    let opened = 0;
    breaker.on('open', () => opened++);
    const outcomesBefore = await welcomeOutcomes();
    const deadLettersBefore = await deadLetters();
    const outageMs = 4 * RETRY_BUDGET_MS;

    expect(await breakerGauge()).toBe(0);
    const outageStartedAt = Date.now();
    line.interrupt();
    const emails = [await signUp()];
    await eventually(async () => (breaker.state !== 'closed' ? true : undefined), PATIENCE_MS, 'the breaker to open');
    const msToOpen = Date.now() - outageStartedAt;
    await eventually(async () => ((await breakerGauge()) === 2 ? true : undefined), PATIENCE_MS, '/metrics to show the breaker open');
    for (let i = 0; i < 3; i++) emails.push(await signUp());
    await new Promise((resolve) => setTimeout(resolve, outageMs / 2));
    line.hang();
    for (let i = 0; i < 3; i++) emails.push(await signUp());
    await new Promise((resolve) => setTimeout(resolve, outageMs / 2));
    // Nothing went out, and the probes kept failing: the breaker opened again and again.
    expect(emails.flatMap(mailsTo)).toEqual([]);
    expect(opened).toBeGreaterThan(WELCOME_MAX_ATTEMPTS);
    line.restore();
    const outageLastedMs = Date.now() - outageStartedAt;

    await eventually(async () => (emails.every((email) => mailsTo(email).length > 0) ? true : undefined), PATIENCE_MS, 'every mail after the outage');
    await eventually(welcomesSettled, PATIENCE_MS, 'the sign-ups to be acked');
    // Exactly once: one copy, one Message-ID per user.
    expect(emails.map((email) => mailsTo(email).length)).toEqual(emails.map(() => 1));
    expect(emails.map((email) => new Set(mailsTo(email).map((mail) => mail.messageId)).size)).toEqual(emails.map(() => 1));
    // No attempt spent: not one delivery ended in a retry (a nak that counts) or a dead letter.
    const outcomes = await welcomeOutcomes();
    expect({ retry: outcomes.retry ?? 0, error: outcomes.error ?? 0 }).toEqual({ retry: outcomesBefore.retry ?? 0, error: outcomesBefore.error ?? 0 });
    expect(await deadLetters()).toBe(deadLettersBefore);
    expect(await breakerGauge()).toBe(0);
    console.info(
      `SMTP outage of ${outageLastedMs} ms (${(outageLastedMs / RETRY_BUDGET_MS).toFixed(1)} × maxAttempts × reset): breaker open after ${msToOpen} ms, opened ${opened} times, ${emails.length} mails sent once each, 0 retries, 0 dead letters`,
    );
  }, 60_000);
});
