import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { routeTemplateOf } from '../metrics/http-metrics.js';
import { WithoutTransactionControlSampler, samplerFromEnv } from './sampler.js';

/** Requests that are probes or scrapes, not work: no spans for them. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/** A running tracer: flush and stop it on the way out. */
export interface RunningTracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for traces only (metrics stay with prom-client on /metrics),
 * configured by the standard `OTEL_*` variables — endpoint, protocol (`http/protobuf` by default,
 * `http/json`, `grpc`), sampler (`OTEL_TRACES_SAMPLER` / `_ARG`), batch sizes, resource attributes
 * — with the instrumentations of the libraries every service runs on:
 *
 * - http: a SERVER span per request (probes and scrapes left out) and a CLIENT span per outgoing call;
 *   named by the route template Express matched (`POST /orders/:id`); no spans for middleware or
 *   route handlers (many, short, and they say no more than the server span);
 * - pg: a span per query (not per pool connect), only inside a traced unit of work (a request, a handler)
 *   so the outbox relay's polling does not start a trace a second; statements without their values,
 *   and none for BEGIN / COMMIT / ROLLBACK (see WithoutTransactionControlSampler).
 *
 * Must run before those libraries are loaded (see register.ts). `serviceName` names the service
 * unless `OTEL_SERVICE_NAME` does.
 */
export function startTracing(options: { serviceName: string; env?: NodeJS.ProcessEnv }): RunningTracing {
  const env = options.env ?? process.env;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || options.serviceName,
    // Traces only: no OpenTelemetry metrics or logs pipeline is started.
    metricReaders: [],
    logRecordProcessors: [],
    sampler: new WithoutTransactionControlSampler(samplerFromEnv(env)),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // The route template names the server span (`POST /orders/:id`), read as the response
        // finishes. The express instrumentation would name it too, at ~40 µs a request for
        // wrapping every middleware call (bench:shop, order-service): more than the span costs.
        applyCustomAttributesOnSpan: (span, request) => {
          const route = 'route' in request ? routeTemplateOf(request) : undefined;
          if (!route) return;
          span.setAttribute('http.route', route);
          span.updateName(`${request.method ?? 'GET'} ${route}`);
        },
      }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
