import { applyDecorators, Catch, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import type { EventContract } from '@eventshop/contracts';
import type { RetryPolicy } from '../middleware/retry.middleware.js';
import type { Middleware } from '../handler.js';

/** Binds handlers to our transport only, even in an app that also speaks other transports. */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM_TRANSPORT');

export interface OnEventOptions {
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
   * The outbound dependency this handler calls, by the name its breaker was registered under
   * (`MessagingRuntime.registerBreaker`). While that breaker is open, consumption pauses instead of
   * burning retries into the dead letter; its half-open probe resumes it.
   */
  readonly pauseWhileDown?: string;
  /** More middleware for this handler only, outermost first; they run inside retry, around the handler. */
  readonly use?: readonly Middleware[];
}

export interface EventHandlerSpec extends OnEventOptions {
  /** One contract, or several for a handler that follows many events in one ordered stream. */
  readonly contracts: readonly EventContract[];
}

/** The subject a spec listens on: the contract's own, or every event when it follows several. */
export function subjectOf(spec: EventHandlerSpec): string {
  const [only, ...others] = spec.contracts;
  return only && others.length === 0 ? only.subject : 'events.>';
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
 * Given several contracts, the handler follows all of them through one consumer on `events.>`, in
 * stream order (a projection needs that); events of other types on the stream are acked and skipped.
 */
export function OnEvent(contract: EventContract | readonly EventContract[], options: OnEventOptions): MethodDecorator {
  const contracts = Array.isArray(contract) ? contract : [contract as EventContract];
  if (contracts.length === 0) throw new Error(`@OnEvent(${options.handler}) needs at least one contract`);
  const spec: EventHandlerSpec = { contracts, ...options };
  // Nest keys handlers by pattern; the handler name keeps several multi-event handlers apart.
  const pattern = contracts.length === 1 ? subjectOf(spec) : `${subjectOf(spec)}#${options.handler}`;
  return applyDecorators(
    EventPattern(pattern, JETSTREAM_TRANSPORT, { eventshop: spec }) as MethodDecorator,
    UseFilters(new RethrowToTransport()),
  );
}
