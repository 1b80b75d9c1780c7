import { All, Controller, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CONSOLE_CONFIG, type ConsoleConfig, watchedServices } from '../config.js';

/**
 * The request headers a client of the public APIs sends, and the only ones passed on. Everything
 * else stays behind — `X-Admin-Token` above all — so the pass-through can reach exactly what any
 * client on the network can, and nothing more.
 */
const FORWARDED_REQUEST_HEADERS = ['accept', 'authorization', 'content-type', 'x-correlation-id'];
/** The response headers the page may use (status details, the correlation id, retry advice). */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'location', 'retry-after', 'x-correlation-id'];

const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * `/api/services/<service>/<path>` → `<service URL>/<path>`: the Try-it panel's way to the services'
 * public REST APIs, a transparent pass-through (method, path, query, body and the client headers
 * above go through unchanged; status, body and the headers above come back unchanged).
 *
 * Why through the console and not straight from the browser: the page then talks to one origin, so
 * the services need no CORS allow-list and no second, browser-facing set of URLs (in compose and
 * Kubernetes the console reaches `user-service:3001`, which a browser cannot), and the page's CSP can
 * stay `connect-src 'self'`. The console adds nothing of its own — no token, no back door — and
 * passes `X-Forwarded-For`, so the services' per-client rate limits still see the real client.
 */
@Controller('api/services')
export class ServiceProxyController {
  private readonly services: ReadonlyMap<string, string>;

  constructor(@Inject(CONSOLE_CONFIG) config: ConsoleConfig) {
    this.services = new Map(watchedServices(config).map(({ name, url }) => [name, url]));
  }

  @All(':service/*path')
  async forward(@Param('service') service: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const base = this.services.get(service);
    if (!base) throw new NotFoundException(`No service named "${service}"; known: ${[...this.services.keys()].join(', ')}`);
    const path = request.originalUrl.slice(`/api/services/${service}`.length);

    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.header(name);
      if (value) headers.set(name, value);
    }
    const forwardedFor = [request.header('x-forwarded-for'), request.socket.remoteAddress].filter(Boolean).join(', ');
    if (forwardedFor) headers.set('x-forwarded-for', forwardedFor);
    const hasBody = !['GET', 'HEAD'].includes(request.method) && request.body !== undefined && Object.keys(request.body as object).length > 0;

    let upstream: globalThis.Response;
    try {
      upstream = await fetch(`${base}${path}`, {
        method: request.method,
        headers,
        // The JSON body the console parsed, as JSON again: the page only ever sends JSON.
        body: hasBody ? JSON.stringify(request.body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    } catch (error) {
      response.status(502).json({
        statusCode: 502,
        error: 'Bad Gateway',
        message: `${service} did not answer at ${base} (${error instanceof Error ? error.message : String(error)})`,
      });
      return;
    }
    response.status(upstream.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value) response.setHeader(name, value);
    }
    response.send(Buffer.from(await upstream.arrayBuffer()));
  }
}
