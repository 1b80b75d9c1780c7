import { Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { withMiddleware, type MessageHandler } from '../handler.js';
import { decodeJson } from '../message.js';
import type { Subscription } from '../ports/subscriber.js';
import { namespacedSubject } from '../jetstream/topology.js';
import { correlation } from '../middleware/correlation.middleware.js';
import { deadLetter } from '../middleware/dead-letter.middleware.js';
import { defaultRetryPolicy, retry } from '../middleware/retry.middleware.js';
import { recoverer } from '../middleware/recoverer.middleware.js';
import { timeout } from '../middleware/timeout.middleware.js';
import { pauseWhileOpen } from '../middleware/circuit-breaker.middleware.js';
import { throttle } from '../middleware/throttle.middleware.js';
import { metrics } from '../middleware/metrics.middleware.js';
import { JetStreamContext } from './jetstream.context.js';
import { JETSTREAM_TRANSPORT, subjectOf, type EventHandlerSpec } from './on-event.decorator.js';
import type { EventContract } from '@eventshop/contracts';
import type { MessagingRuntime } from './messaging-runtime.js';

/** Picks the contract for a message by its envelope's type and version. */
function contractOf(spec: EventHandlerSpec, body: unknown): EventContract | undefined {
  const { type, version } = (body ?? {}) as { type?: unknown; version?: unknown };
  return spec.contracts.find((contract) => contract.name === type && contract.version === version);
}

/** The name of a handler's consumer group: `<service>__<handler>`. */
export function consumerGroupName(serviceName: string, handler: string): string {
  return `${serviceName}__${handler}`;
}

/**
 * A NestJS transport that feeds `@OnEvent` handlers from JetStream durable consumers.
 *
 * Every handler gets its own consumer group and this middleware chain (outermost first):
 * correlation → dead letter → [metrics] → retry → [pause while a dependency is down] → [throttle] →
 * [the service's own middleware] → [the handler's own] → timeout → recoverer → contract validation →
 * the handler.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly runtime: MessagingRuntime) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.runtime.connect();
      for (const [, head] of this.messageHandlers) {
        for (let handler: NestHandler | undefined = head; handler; handler = handler.next) {
          const spec = (handler.extras as { eventshop?: EventHandlerSpec } | undefined)?.eventshop;
          if (!handler.isEventHandler || !spec) continue;
          this.subscriptions.push(await this.subscribe(spec, handler));
        }
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private subscribe(spec: EventHandlerSpec, nestHandler: NestHandler): Promise<Subscription> {
    const { options, topology, logger } = this.runtime;
    const invoke: MessageHandler = async (message) => {
      const body = decodeJson(message.payload);
      const contract = spec.contracts.length === 1 ? spec.contracts[0] : contractOf(spec, body);
      if (!contract) return; // An event this handler does not follow: ack and move on.
      const envelope = contract.parse(body);
      const result = await nestHandler(envelope, new JetStreamContext([message]));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
    const ackWaitMs = options.ackWaitMs ?? 30_000;
    // A message held back (breaker open, throttled) keeps telling the broker it is being worked on.
    const keepAliveIntervalMs = Math.min(5_000, Math.floor(ackWaitMs / 3));
    const handler = withMiddleware(
      invoke,
      correlation,
      deadLetter({
        publisher: this.runtime.publisher,
        subjectPrefix: topology.deadLetterSubjectRoot,
        handler: spec.handler,
        logger,
      }),
      // Just inside the dead letter: ack = handled, retry = redelivery scheduled, error = dead-lettered.
      ...(options.metricsRegistry ? [metrics({ registry: options.metricsRegistry })] : []),
      retry({ ...defaultRetryPolicy, ...options.retry, ...spec.retry }, logger),
      // Holding stages sit inside retry and outside timeout: waiting is not handling time.
      ...(spec.pauseWhileDown ? [pauseWhileOpen(this.runtime.breaker(spec.pauseWhileDown), { keepAliveIntervalMs })] : []),
      ...(spec.throttlePerSecond ? [throttle(spec.throttlePerSecond, { keepAliveIntervalMs })] : []),
      ...(options.middleware ?? []),
      ...(spec.use ?? []),
      timeout(spec.timeoutMs ?? options.handlerTimeoutMs ?? 30_000),
      recoverer,
    );
    return this.runtime.subscriber.subscribe(
      {
        group: consumerGroupName(options.serviceName, spec.handler),
        subject: namespacedSubject(topology, subjectOf(spec)),
        maxInFlight: spec.maxInFlight,
        deliverFrom: spec.deliverFrom,
        ackWaitMs,
        // A handler that can pause holds no more than it works on, so nothing waits unseen in a buffer.
        prefetch: spec.pauseWhileDown ? (spec.maxInFlight ?? 1) : undefined,
      },
      handler,
    );
  }

  /** Stops pulling and lets in-flight handlers finish; the connection is drained later by the runtime. */
  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
  }

  on(): void {
    // No transport-level events are surfaced; connection status is visible through /health.
  }

  unwrap<T>(): T {
    return this.runtime.connection as T;
  }
}
