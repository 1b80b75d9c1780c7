import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { messageContext } from '@eventshop/messaging';
import { correlationMiddleware } from '../http/correlation.middleware.js';
import { ServiceLogger } from './service-logger.js';

/** A logger writing into an array of parsed lines. */
function capturing(level: 'debug' | 'info' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new ServiceLogger('user-service', { level, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

describe('ServiceLogger', () => {
  const provider = new TracerProvider();
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('writes service, level, message, fields, the correlation id and the active span’s trace and span ids', () => {
    const { logger, lines } = capturing();
    const span = provider.getTracer('test').startSpan('work');
    messageContext.run({ correlationId: 'corr-7', causationId: null, trace: {} }, () =>
      context.with(trace.setSpan(context.active(), span), () => logger.info('mail sent', { to: 'someone' })),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'user-service',
        msg: 'mail sent',
        to: 'someone',
        correlationId: 'corr-7',
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it("without a span, takes the trace id from the caller's traceparent", () => {
    const { logger, lines } = capturing();
    messageContext.run(
      { correlationId: 'c', causationId: null, trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
      () => logger.warn('slow'),
    );
    expect(lines[0]).toMatchObject({ level: 'warn', traceId: '0af7651916cd43dd8448eb211c80319c' });
    expect(lines[0]).not.toHaveProperty('spanId');
  });

  it('redacts password and token fields, and keeps below-level lines out', () => {
    const { logger, lines } = capturing();
    logger.debug('not shown');
    logger.info('signing up', { password: 'correct horse', user: { email: 'a@b.c', password: 'x', accessToken: 'jwt' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ password: '[Redacted]', user: { email: 'a@b.c', password: '[Redacted]', accessToken: '[Redacted]' } });
  });

  it('logs Nest’s error(message, stack, context) with the stack and the context', () => {
    const { logger, lines } = capturing();
    logger.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at x', context: 'ExceptionsHandler' });
  });

  describe('access log', () => {
    function app(logger: ServiceLogger) {
      const server = express();
      server.use(correlationMiddleware);
      server.use(logger.accessLog());
      server.get('/health', (_req, res) => void res.send('ok'));
      server.get('/users/me', (_req, res) => void res.status(401).json({ message: 'no' }));
      return server;
    }

    it('writes one line per request with its correlation id, status and time, credentials redacted', async () => {
      const { logger, lines } = capturing();
      await request(app(logger))
        .get('/users/me')
        .set('X-Correlation-Id', 'req-1')
        .set('Authorization', 'Bearer secret-jwt')
        .set('Cookie', 'session=secret')
        .set('X-Admin-Token', 'operator-secret')
        .expect(401);

      expect(lines).toHaveLength(1);
      const [line] = lines;
      expect(line).toMatchObject({
        level: 'warn',
        service: 'user-service',
        correlationId: 'req-1',
        req: { id: 'req-1', method: 'GET', url: '/users/me' },
        res: { statusCode: 401 },
        responseTime: expect.any(Number),
      });
      const headers = (line!.req as { headers: Record<string, string> }).headers;
      expect(headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]', 'x-admin-token': '[Redacted]' });
      expect(JSON.stringify(line)).not.toMatch(/secret/);
    });

    it('leaves health probes out', async () => {
      const { logger, lines } = capturing();
      await request(app(logger)).get('/health').expect(200);
      expect(lines).toEqual([]);
    });
  });
});
