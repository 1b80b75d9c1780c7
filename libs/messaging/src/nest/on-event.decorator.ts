import { applyDecorators, Catch, type INestApplication, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { EventPattern, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants.js';
import { throwError, type Observable } from 'rxjs';
import type { EventContract } from '@eventshop/contracts';
import { subjectOf, type HandlerOptions, type HandlerRegistration } from '../router/message-router.js';

/** Binds handlers to our transport only, even in an app that also speaks other transports. */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM_TRANSPORT');

/** `@OnEvent`'s options: the router's handler options (name, retry, timeout, concurrency, …). */
export type OnEventOptions = HandlerOptions;

/** Classes with at least one `@OnEvent` method, so an app can tell whether it consumes events. */
const classesWithEventHandlers = new WeakSet<object>();

/** Whether `type` (a controller class) declares at least one `@OnEvent` handler. */
export function declaresEventHandlers(type: object): boolean {
  return classesWithEventHandlers.has(type);
}

/** The registration `@OnEvent` stored on a Nest handler, if it is one of ours. */
export function registrationOf(handler: NestHandler): HandlerRegistration | undefined {
  if (!handler.isEventHandler) return undefined;
  return (handler.extras as { eventshop?: HandlerRegistration } | undefined)?.eventshop;
}

/**
 * Every `@OnEvent` registration the controllers of `app` declare, read from their metadata (the
 * app need not be listening): what the service really consumes, for checks against what it
 * declares elsewhere (its package.json's `eventshop.bus.consumes`, the AsyncAPI document).
 */
export function eventHandlersOf(app: INestApplication): HandlerRegistration[] {
  const registrations: HandlerRegistration[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const controller of module.controllers.values()) {
      const type = controller.metatype;
      if (typeof type !== 'function' || !declaresEventHandlers(type)) continue;
      const prototype = type.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const method = name === 'constructor' ? undefined : prototype[name];
        const extras = typeof method === 'function' ? (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as { eventshop?: HandlerRegistration } | undefined) : undefined;
        if (extras?.eventshop) registrations.push(extras.eventshop);
      }
    }
  }
  return registrations;
}

/**
 * Nest's default RPC exception filter turns every error into `{status:'error'}`; the bus needs the
 * real error to tell a permanent failure from a transient one, so handlers rethrow it untouched.
 */
@Catch()
class RethrowToTransport implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Declares a durable, validated event handler:
 *
 * ```ts
 * @OnEvent(UserSignedUpV1, { handler: 'send-welcome-email', retry: { maxAttempts: 8 } })
 * async onUserSignedUp(@Payload() event: UserSignedUpV1) { ... }
 * ```
 *
 * The payload arrives already validated against the contract; a message that fails validation goes
 * straight to the dead letter with the validation errors as the reason.
 *
 * Given several contracts, the handler follows all of them through one consumer on every event, in
 * stream order (a projection needs that), choosing the contract by subject: an event type none of
 * them has is acked and skipped, a known type in an unknown version is dead-lettered (see
 * `validatedBy` in router/message-router.ts).
 */
export function OnEvent(contract: EventContract | readonly EventContract[], options: OnEventOptions): MethodDecorator {
  const contracts = Array.isArray(contract) ? contract : [contract as EventContract];
  if (contracts.length === 0) throw new Error(`@OnEvent(${options.handler}) needs at least one contract`);
  const registration: HandlerRegistration = { contracts, ...options };
  // Nest keys handlers by pattern and chains those that share one, so that calling one calls them
  // all. A pattern of their own per handler name keeps two handlers of one event apart: each
  // consumer group must run its own handler and nothing else.
  const pattern = `${subjectOf(registration)}#${options.handler}`;
  const markClass: MethodDecorator = (target) => void classesWithEventHandlers.add(target.constructor);
  return applyDecorators(
    EventPattern(pattern, JETSTREAM_TRANSPORT, { eventshop: registration }) as MethodDecorator,
    UseFilters(new RethrowToTransport()),
    markClass,
  );
}
