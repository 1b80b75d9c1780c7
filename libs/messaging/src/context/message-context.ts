import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';

/**
 * What travels with one unit of work (an HTTP request or a handled message): the correlation id
 * that ties a user action together, the id of what caused the current work, and the W3C trace
 * context. Publishing an event reads it; every log line prints it.
 */
export interface MessageContext {
  readonly correlationId: string;
  /** The id of the event being handled (becomes `causationId` of events published now), or null. */
  readonly causationId: string | null;
  /** `traceparent` / `tracestate`, as written by OpenTelemetry's propagator. */
  readonly trace: Readonly<Record<string, string>>;
}

const storage = new AsyncLocalStorage<MessageContext>();

export const messageContext = {
  /** Runs `work` with the given context; everything it awaits sees the same context. */
  run<T>(context: MessageContext, work: () => T): T {
    return storage.run(context, work);
  },
  current(): MessageContext | undefined {
    return storage.getStore();
  },
};

/** Header carrier reader: picks trace headers out of any header bag through the propagation API. */
export function traceHeadersFrom(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const extracted = propagation.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => {
      const value = carrier[key] ?? carrier[key.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    keys: (carrier) => Object.keys(carrier),
  });
  const carrier: Record<string, string> = {};
  propagation.inject(extracted, carrier);
  return carrier;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** Accepts a caller's correlation id when it is a sane token, otherwise starts a new one. */
export function correlationIdOrNew(candidate: string | undefined | null): string {
  return candidate && CORRELATION_ID.test(candidate) ? candidate : randomUUID();
}
