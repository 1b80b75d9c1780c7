import type { NextFunction, Request, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { existingOr, metricOptions, type MetricDefinition } from '@eventshop/messaging';

/** The HTTP metrics every service exports (the bus's are in `BusMetrics`). */
export const HttpMetrics = {
  RequestSeconds: {
    name: 'eventshop_http_request_duration_seconds',
    type: 'histogram',
    labels: ['method', 'route', 'status'],
    help: 'HTTP requests by method, route template (`/users/:id`; `unmatched` for a path no route serves) and status code, timed from arrival to the last byte sent; its _count is the request count.',
  },
} as const satisfies Record<string, MetricDefinition>;

/** The route label of a request no route matched (a 404): one series, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Up to a slow request's 10 s; most answer in milliseconds. */
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Express middleware timing every request into `eventshop_http_request_duration_seconds`, labelled
 * with the route *template* Express matched (`req.route.path`, so `/orders/:id` is one series
 * however many orders there are) and the status sent. Install it first, so requests refused early
 * (a guard's 401, a validation 400, a 404) are counted too.
 */
export function httpMetrics(registry: Registry): (request: Request, response: Response, next: NextFunction) => void {
  const histogram = existingOr(registry, HttpMetrics.RequestSeconds.name, Histogram, () =>
    new Histogram({ ...metricOptions(HttpMetrics.RequestSeconds), buckets, registers: [registry] }),
  );
  return (request, response, next) => {
    const startedAt = performance.now();
    response.once('finish', () => {
      histogram.labels(request.method, routeOf(request), String(response.statusCode)).observe((performance.now() - startedAt) / 1000);
    });
    next();
  };
}

/** The matched route's template with its router's mount path; `unmatched` when no route matched. */
function routeOf(request: Request): string {
  return routeTemplateOf(request) ?? UNMATCHED_ROUTE;
}

/**
 * The route template Express matched for a request (`/orders/:id`, with its router's mount path),
 * or undefined when no route matched. Express sets it on the request as the route runs; it is
 * still there when the response is finished.
 */
export function routeTemplateOf(request: { route?: unknown; baseUrl?: unknown }): string | undefined {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${typeof request.baseUrl === 'string' ? request.baseUrl : ''}${path}` : undefined;
}
