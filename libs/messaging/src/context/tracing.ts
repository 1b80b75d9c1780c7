import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

let installed = false;

/**
 * Installs the W3C trace-context propagator so `traceparent` flows from HTTP requests through the
 * outbox into message headers and on to every event a handler publishes. No tracer is started here:
 * registering an OpenTelemetry SDK later turns these headers into real spans without touching
 * handlers.
 */
export function installTracePropagation(): void {
  if (installed) return;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  installed = true;
}
