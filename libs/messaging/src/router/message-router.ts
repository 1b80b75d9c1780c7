import type { Registry } from 'prom-client';
import { EVENT_SUBJECT_ROOT, type EventContract, type EventEnvelope } from '@eventshop/contracts';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_HANDLER_TIMEOUT_MS, keepAliveIntervalFor } from '../defaults.js';
import { withMiddleware, type MessageHandler, type Middleware } from '../handler.js';
import { type BusLogger, silentLogger } from '../logger.js';
import { decodeJson, type PermanentError, type ReceivedMessage } from '../message.js';
import type { Publisher } from '../ports/publisher.js';
import type { Subscriber, Subscription } from '../ports/subscriber.js';
import { namespacedSubject, type Topology } from '../jetstream/topology.js';
import { correlation } from '../middleware/correlation.middleware.js';
import { consumerSpan, spanFailures } from '../middleware/tracing.middleware.js';
import { deadLetter } from '../middleware/dead-letter.middleware.js';
import { metrics } from '../middleware/metrics.middleware.js';
import { defaultRetryPolicy, retry, type RetryPolicy } from '../middleware/retry.middleware.js';
import { pauseWhileOpen } from '../middleware/pause-while-open.middleware.js';
import { throttle } from '../middleware/throttle.middleware.js';
import { timeout } from '../middleware/timeout.middleware.js';
import { recoverer } from '../middleware/recoverer.middleware.js';
import type { DependencyBreaker } from '../resilience/dependency-breaker.js';
import type { HandleOnce, Inbox } from '../inbox/inbox.js';

/** How one handler consumes: its name (and so its consumer group) and its own settings. */
export interface HandlerOptions {
  /**
   * The handler's stable name, e.g. `send-welcome-email`. With the service name it forms the
   * consumer group (`email-service__send-welcome-email`): replicas share it, and renaming it starts
   * a new group from the beginning of the stream.
   */
  readonly handler: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number;
  /** Messages handled at once per replica; ordering per aggregate is kept regardless. */
  readonly maxInFlight?: number;
  /** Where a brand-new group starts. Default `all`: a new handler catches up on history. */
  readonly deliverFrom?: 'all' | 'new';
  /** At most this many messages per second into this handler, per replica (backpressure, not retries). */
  readonly throttlePerSecond?: number;
  /**
   * The outbound dependency this handler calls, by the name its breaker is known under (see
   * `MessageRouterOptions.breaker`). While that breaker is open, consumption pauses instead of
   * burning retries into the dead letter; its half-open probe resumes it.
   */
  readonly pauseWhileDown?: string;
  /** More middleware for this handler only, outermost first; they run inside retry, around the handler. */
  readonly use?: readonly Middleware[];
}

/** One handler as the router subscribes it: its options and the contract(s) it follows. */
export interface HandlerRegistration extends HandlerOptions {
  /** One contract, or several for a handler that follows many events in one ordered stream. */
  readonly contracts: readonly EventContract[];
  /**
   * The subject it listens on, in contract terms (`events.…`; the router adds the namespace).
   * Default: the contract's own subject, or every event when it follows several.
   */
  readonly subject?: string;
}

/** What a handler gets besides the validated event: the delivery and who it is delivered to. */
export interface HandlerContext {
  /** The handler's name from its registration. */
  readonly handler: string;
  /** The raw delivery: subject, headers, delivery count, stream sequence, consumer group. */
  readonly message: ReceivedMessage;
  /**
   * Handles this event at most once for this handler: `context.once.run(work)`, or
   * `context.once.run(work, { effect, afterEffect })` when it calls the outside world. Keyed by the
   * registration's name and the event's id, so the handler never names itself again. Needs the
   * router's `inbox`.
   */
  readonly once: HandleOnce;
}

/** The code a registration runs: the validated event in, throw for "not processed". */
export type EventHandler = (event: EventEnvelope, context: HandlerContext) => Promise<void>;

export interface MessageRouterOptions {
  /** The service's name: the prefix of its consumer groups. */
  readonly serviceName: string;
  readonly subscriber: Subscriber;
  /** Where dead letters are published. */
  readonly publisher: Publisher;
  readonly topology: Topology;
  readonly logger?: BusLogger;
  /** Defaults for every handler; each registration can override. */
  readonly retry?: Partial<RetryPolicy>;
  readonly handlerTimeoutMs?: number;
  readonly ackWaitMs?: number;
  /**
   * Middleware for every handler of the service, outermost first; they run inside retry, before the
   * handler's own (`HandlerOptions.use`).
   */
  readonly middleware?: readonly Middleware[];
  /** Where handler metrics are registered; none are kept without it. */
  readonly metricsRegistry?: Registry;
  /** Looks up the breaker a registration's `pauseWhileDown` names; needed only by such registrations. */
  readonly breaker?: (name: string) => DependencyBreaker;
  /** The service database's inbox, behind `HandlerContext.once`; needed only by handlers that use it. */
  readonly inbox?: Inbox;
}

/** The name of a handler's consumer group: `<service>__<handler>`. */
export function consumerGroupName(serviceName: string, handler: string): string {
  return `${serviceName}__${handler}`;
}

/** The subject a registration listens on, in contract terms: its own, its contract's, or every event. */
export function subjectOf(registration: HandlerRegistration): string {
  if (registration.subject) return registration.subject;
  const [only, ...others] = registration.contracts;
  return only && others.length === 0 ? only.subject : `${EVENT_SUBJECT_ROOT}.>`;
}

/**
 * The router: turns a handler registration (name, contract(s), options) into a subscription of its
 * own consumer group, behind the standard middleware. It is the one place the chain is built; the
 * Nest transport, the benchmark and plain tests all subscribe through it.
 *
 * The chain, outermost first:
 *
 * | stage | from | why here |
 * | --- | --- | --- |
 * | consumer span | always | one CONSUMER span per invocation, the producer's child: everything below is in its trace (a no-op without an OpenTelemetry SDK) |
 * | correlation | always | everything below logs and publishes with the message's correlation id |
 * | dead letter | always | parks what the stages below gave up on, then acks it |
 * | metrics | `metricsRegistry` | just inside the dead letter: ack = handled, retry = redelivery scheduled, error = dead-lettered |
 * | retry | `retry` | turns a transient failure into a redelivery after a backoff |
 * | span failures | always | marks the consumer span failed with what the stages below throw, before retry turns it into an outcome |
 * | pause while a dependency is down | `pauseWhileDown` | holding sits inside retry and outside timeout: waiting is not handling time |
 * | throttle | `throttlePerSecond` | likewise |
 * | the service's middleware | `MessageRouterOptions.middleware` | |
 * | the handler's own | `HandlerOptions.use` | |
 * | timeout | `timeoutMs` | bounds the handler alone |
 * | recoverer | always | whatever the handler throws becomes an Error |
 * | contract dispatch and validation | always | a message that breaks its contract is a permanent error: dead-lettered at once |
 * | the handler | | |
 */
export class MessageRouter {
  private readonly subscriptions: Subscription[] = [];
  private readonly groups = new Set<string>();

  constructor(private readonly options: MessageRouterOptions) {}

  /**
   * Subscribes `handle` as `registration`'s consumer group, behind the standard middleware. Two
   * registrations with the same handler name would share a group and steal each other's messages:
   * the second is refused.
   */
  async subscribe(registration: HandlerRegistration, handle: EventHandler): Promise<Subscription> {
    const { options } = this;
    if (registration.contracts.length === 0) throw new Error(`handler "${registration.handler}" needs at least one contract`);
    const group = consumerGroupName(options.serviceName, registration.handler);
    if (this.groups.has(group)) throw new Error(`two handlers are named "${registration.handler}": each needs a name of its own`);
    this.groups.add(group);
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    const subscription = await options.subscriber.subscribe(
      {
        group,
        subject: namespacedSubject(options.topology, subjectOf(registration)),
        maxInFlight: registration.maxInFlight,
        deliverFrom: registration.deliverFrom,
        ackWaitMs,
        // A handler that can pause holds no more than it works on, so nothing waits unseen in a buffer.
        prefetch: registration.pauseWhileDown ? (registration.maxInFlight ?? 1) : undefined,
      },
      withMiddleware(validatedBy(registration, handle, options.topology, options.inbox), ...this.middlewareFor(registration, ackWaitMs)),
    );
    this.subscriptions.push(subscription);
    return subscription;
  }

  /** Stops every subscription: no more pulling, in-flight handlers finish (bounded). */
  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
    this.groups.clear();
  }

  private middlewareFor(registration: HandlerRegistration, ackWaitMs: number): Middleware[] {
    const { options } = this;
    const logger = options.logger ?? silentLogger;
    // A message held back (breaker open, throttled) keeps telling the broker it is being worked on.
    const keepAliveIntervalMs = keepAliveIntervalFor(ackWaitMs);
    return [
      consumerSpan,
      correlation,
      deadLetter({
        publisher: options.publisher,
        subjectPrefix: options.topology.deadLetterSubjectRoot,
        handler: registration.handler,
        logger,
        metricsRegistry: options.metricsRegistry,
      }),
      ...(options.metricsRegistry ? [metrics({ registry: options.metricsRegistry })] : []),
      retry({ ...defaultRetryPolicy, ...options.retry, ...registration.retry }, logger),
      spanFailures,
      ...(registration.pauseWhileDown
        ? [pauseWhileOpen(this.breakerFor(registration.pauseWhileDown), { keepAliveIntervalMs })]
        : []),
      ...(registration.throttlePerSecond ? [throttle(registration.throttlePerSecond, { keepAliveIntervalMs })] : []),
      ...(options.middleware ?? []),
      ...(registration.use ?? []),
      timeout(registration.timeoutMs ?? options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS),
      recoverer,
    ];
  }

  private breakerFor(name: string): DependencyBreaker {
    if (!this.options.breaker) throw new Error(`a handler pauses while "${name}" is down, but the router knows no breakers`);
    return this.options.breaker(name);
  }
}

/**
 * The innermost stage: picks the contract for the message, validates it, and calls the handler. A
 * handler of one contract validates against it. A handler of several (a projection of every event)
 * picks the contract by the message's *subject*, the one thing the publisher's NATS permissions
 * vouch for, and validates the envelope against it, so every consumer judges an event alike:
 *
 * - a subject it knows → validated; an envelope whose type or version disagrees → dead letter;
 * - an envelope claiming a known type on a subject that is not that type's → dead letter with the
 *   reason: the event is parked, not lost;
 * - a version it does not know of a known type, on that version's own subject
 *   (`….user-signed-up.v2` for a v1 reader) → acked and skipped: under dual publish (the versioning
 *   policy) the owner publishes the same fact in the version this handler reads for as long as it
 *   reads it;
 * - an event type it has never heard of (a context added a new event) → acked and skipped: a
 *   consumer of "everything" cannot know the future, and a projection added for it later rebuilds
 *   from the stream's full history.
 */
function validatedBy(registration: HandlerRegistration, handle: EventHandler, topology: Topology, inbox: Inbox | undefined): MessageHandler {
  const { contracts, handler } = registration;
  return async (message) => {
    const body = decodeJson(message.payload);
    const contract = contracts.length === 1 ? contracts[0] : contractForMessage(contracts, contractSubject(topology, message.subject), body);
    if (!contract) return;
    const event = contract.parse(body);
    await handle(event, {
      handler,
      message,
      // The envelope's id, not the message's: a replayed dead letter is a new message of the same event.
      get once() {
        if (!inbox) throw new Error(`handler "${handler}" uses the inbox, but its router was given none`);
        return inbox.once({ handler, eventId: event.id });
      },
    });
  };
}

/** An envelope claiming an event type a handler follows, on a subject that is not that type's. Permanent. */
export class UnknownEventVersionError extends Error implements PermanentError {
  readonly permanent = true as const;
  constructor(message: string) {
    super(message);
    this.name = 'UnknownEventVersionError';
  }
}

/** The contract for a message among several (see validatedBy); undefined for one it skips. */
function contractForMessage(contracts: readonly EventContract[], subject: string, body: unknown): EventContract | undefined {
  const bySubject = contracts.find((contract) => contract.subject === subject);
  if (bySubject) return bySubject;
  const { type, version } = (body ?? {}) as { type?: unknown; version?: unknown };
  // Another version of a known event, on that version's own subject: the fact comes in ours too.
  if (contracts.some((contract) => unversioned(contract.subject) === unversioned(subject) && contract.name === type && subject.endsWith(`.v${String(version)}`))) {
    return undefined;
  }
  const sameType = contracts.find((contract) => unversioned(contract.subject) === unversioned(subject) || contract.name === type);
  if (!sameType) return undefined;
  const known = contracts.filter((contract) => contract.name === sameType.name).map((contract) => `v${contract.version}`);
  throw new UnknownEventVersionError(
    `${String(type)} v${String(version)} on ${subject}: this handler knows ${sameType.name} ${known.join(', ')} on ${sameType.subject} only`,
  );
}

/** A message's subject in contract terms (`events.…`), without the topology's namespace. */
function contractSubject(topology: Topology, subject: string): string {
  const root = `${topology.eventsSubjectRoot}.`;
  return subject.startsWith(root) ? `${EVENT_SUBJECT_ROOT}.${subject.slice(root.length)}` : subject;
}

/** `events.user.user-signed-up.v1` → `events.user.user-signed-up`. */
function unversioned(subject: string): string {
  return subject.replace(/\.v\d+$/, '');
}
