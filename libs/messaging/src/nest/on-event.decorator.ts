import { applyDecorators, Catch, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern, type MessageHandler as NestHandler } from '@nestjs/microservices';
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
