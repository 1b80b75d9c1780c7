import { trace } from '@opentelemetry/api';
import type { Middleware } from '../handler.js';
import { Headers } from '../message.js';
import { inSpan, recordSpanFailure, startProcessSpan, tracingActive } from '../context/tracing.js';

/**
 * The outermost stage: one CONSUMER span (`process <subject>`) per handler invocation, a child of
 * and linked to the producer's context in the message headers, active while the whole chain runs —
 * so the handler's SQL, its outbound calls, the events it publishes and every log line are in the
 * producer's trace. An outcome of `retry` is noted on the span; failures are recorded by
 * {@link spanFailures}, which sees them before retry turns them into outcomes. Without an SDK it
 * only passes the message on.
 */
export const consumerSpan: Middleware = (next) => (message) => {
  if (!tracingActive()) return next(message);
  const processing = startProcessSpan(
    {
      subject: message.subject,
      messageId: message.id,
      correlationId: message.headers[Headers.CorrelationId],
      consumerGroup: message.consumer,
      deliveryCount: message.deliveryCount,
      bodySize: message.payload.byteLength,
    },
    message.headers,
  );
  if (!processing) return next(message);
  return inSpan(processing, async () => {
    const outcome = await next(message);
    if (outcome?.kind === 'retry') processing.span.setAttribute('eventshop.message.redelivery_delay_ms', outcome.delayMs);
    return outcome;
  });
};

/**
 * Sits just inside retry: marks the active (consumer) span failed with whatever the stages below
 * throw — the handler's error, a timeout, a contract violation — and lets the error go on.
 */
export const spanFailures: Middleware = (next) => async (message) => {
  try {
    return await next(message);
  } catch (error) {
    const span = trace.getActiveSpan();
    if (span) recordSpanFailure(span, error);
    throw error;
  }
};
