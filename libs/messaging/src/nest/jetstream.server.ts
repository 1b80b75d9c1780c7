import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { consumerGroupName, MessageRouter, type EventHandler } from '../router/message-router.js';
import { JetStreamContext } from './jetstream.context.js';
import { declaresEventHandlers, JETSTREAM_TRANSPORT, registrationOf } from './on-event.decorator.js';
import { MessagingRuntime } from './messaging-runtime.js';
import { Inbox } from '../inbox/inbox.js';

/**
 * A NestJS transport that feeds `@OnEvent` handlers from JetStream durable consumers: every handler
 * becomes one registration of a `MessageRouter` (libs/messaging/src/router), which gives it its own
 * consumer group and the standard middleware chain.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  override readonly transportId = JETSTREAM_TRANSPORT;
  private router?: MessageRouter;

  /** `inbox` backs `context.once` in the handlers; a service without a database may leave it out. */
  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly inbox?: Inbox,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.runtime.connect();
      const { options, topology, logger } = this.runtime;
      this.router = new MessageRouter({
        serviceName: options.serviceName,
        subscriber: this.runtime.subscriber,
        publisher: this.runtime.publisher,
        topology,
        logger,
        retry: options.retry,
        handlerTimeoutMs: options.handlerTimeoutMs,
        ackWaitMs: options.ackWaitMs,
        middleware: options.middleware,
        metricsRegistry: options.metricsRegistry,
        breaker: (name) => this.runtime.breaker(name),
        inbox: this.inbox,
      });
      for (const [, head] of this.messageHandlers) {
        // Handlers sharing a pattern share a name (see OnEvent); the router refuses the second one.
        for (let handler: NestHandler | undefined = head; handler; handler = handler.next) {
          const registration = registrationOf(handler);
          if (!registration) continue;
          await this.router.subscribe(registration, this.invoker(handler));
          this.runtime.trackConsumerGroup(consumerGroupName(options.serviceName, registration.handler));
        }
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Calls the Nest handler (its pipes, guards and filters included) and waits for what it returns.
   * It is never chained to another (every registration has a pattern of its own), so this runs
   * exactly this handler.
   */
  private invoker(nestHandler: NestHandler): EventHandler {
    return async (event, context) => {
      const result = await nestHandler(event, new JetStreamContext([context]));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
  }

  /** Stops pulling and lets in-flight handlers finish; the connection is drained later by the runtime. */
  async close(): Promise<void> {
    await this.router?.close();
  }

  on(): void {
    // No transport-level events are surfaced; connection status is visible through /health.
  }

  unwrap<T>(): T {
    return this.runtime.connection as T;
  }
}

/**
 * Connects the JetStream transport to `app` if any of its controllers has an `@OnEvent` handler,
 * and says whether it did: a service consumes events exactly when it declares handlers, with no
 * flag to keep in step. Call it before `app.startAllMicroservices()`.
 */
export function connectJetStreamTransport(app: INestApplication): boolean {
  const consumesEvents = [...app.get(ModulesContainer).values()].some((module) =>
    [...module.controllers.values()].some((controller) => controller.metatype && declaresEventHandlers(controller.metatype)),
  );
  if (!consumesEvents) return false;
  app.connectMicroservice({ strategy: new JetStreamServer(app.get(MessagingRuntime), app.get(Inbox)) }, { inheritAppConfig: true });
  return true;
}
