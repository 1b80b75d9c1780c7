import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import pretty from 'pino-pretty';
import { messageContext, type BusLogger } from '@eventshop/messaging';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** `json`: one JSON object per line (deployments, log shippers). `pretty`: coloured lines for a person (npm start). */
export type LogFormat = 'json' | 'pretty';

/**
 * Values never written to a log, by path: credentials in request headers (bearer tokens, cookies,
 * the operator token) and password/token fields of anything a caller passes as fields. Callers
 * still must not log secrets on purpose; this catches the accidental ones.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-admin-token"]',
  'res.headers["set-cookie"]',
  ...['password', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'secret'].flatMap((field) => [field, `*.${field}`]),
];

/** Requests that are probes or scrapes: no access-log line for them. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * What ties a line to its unit of work: the correlation id of the request or message being handled,
 * and the active span's trace and span ids (with no tracing SDK, the trace id the caller sent).
 */
export function contextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const context = messageContext.current();
  if (context) fields.correlationId = context.correlationId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  } else {
    // traceparent = version-traceid-parentid-flags
    const traceparent = context?.trace.traceparent;
    if (traceparent && traceparent.length >= 35) fields.traceId = traceparent.slice(3, 35);
  }
  return fields;
}

export interface ServiceLoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream;
}

/**
 * The service's logger, on pino: every line has the time, level, service, message, the correlation
 * id, trace id and span id of the work it belongs to (see contextFields), and the caller's fields,
 * with secrets redacted (REDACTED_LOG_PATHS). Nest, the bus (its BusLogger port) and the HTTP
 * access log (`accessLog()`, one line per request) all write through it.
 */
export class ServiceLogger implements LoggerService, BusLogger {
  /** The pino logger, for libraries that take one. */
  readonly pino: Logger;
  private readonly options: LoggerOptions;
  private readonly destination: DestinationStream;

  constructor(
    readonly service: string,
    { level = 'info', format = 'json', destination }: ServiceLoggerOptions = {},
  ) {
    this.destination =
      destination ??
      (format === 'pretty'
        ? pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,req,res' })
        : pino.destination({ fd: 1, sync: true }));
    this.options = {
      level,
      base: { service },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: REDACTED_LOG_PATHS,
    };
    this.pino = pino({ ...this.options, mixin: contextFields }, this.destination);
  }

  /**
   * Express middleware writing one access-log line per finished request (method, URL, status,
   * response time, the request's headers redacted), health probes and metric scrapes left out. Its
   * context fields are taken when the request starts, where its span and correlation id are current.
   * Mount it after the correlation middleware; the request id is the correlation id.
   */
  accessLog(): HttpLogger {
    const requestContext = new WeakMap<IncomingMessage, Record<string, string>>();
    return pinoHttp({
      // A logger of its own without the mixin: when the response finishes, the request's context is gone.
      logger: pino(this.options, this.destination),
      genReqId: (_req: IncomingMessage, res: ServerResponse) => String(res.getHeader('x-correlation-id') ?? ''),
      customProps: (req: IncomingMessage) => {
        let fields = requestContext.get(req);
        if (!fields) requestContext.set(req, (fields = contextFields()));
        return fields;
      },
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
      // The request's method, URL and status in the message itself: readable in the pretty format too.
      customSuccessMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
      customErrorMessage: (req, res, error) => `${req.method} ${req.url} ${res.statusCode}: ${error.message}`,
      // The response's own headers say nothing a reader of the log needs.
      serializers: { res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    });
  }

  private write(level: LogLevel, message: unknown, fields: Record<string, unknown>): void {
    if (message instanceof Error) {
      fields.errorName ??= message.name;
      if (message.stack) fields.stack ??= message.stack;
    }
    this.pino[level](fields, message instanceof Error ? message.message : String(message));
  }

  // BusLogger
  debug(message: unknown, fields?: Record<string, unknown> | string): void {
    this.write('debug', message, asFields(fields));
  }
  info(message: unknown, fields?: Record<string, unknown> | string): void {
    this.write('info', message, asFields(fields));
  }
  warn(message: unknown, fields?: Record<string, unknown> | string): void {
    this.write('warn', message, asFields(fields));
  }
  error(message: unknown, fields?: Record<string, unknown> | string, context?: string): void {
    const extra = asFields(fields);
    if (context) {
      // Nest's error(message, stack, context).
      if (typeof fields === 'string') extra.stack = fields;
      extra.context = context;
    }
    this.write('error', message, extra);
  }

  // LoggerService
  log(message: unknown, context?: string): void {
    this.write('info', message, context ? { context } : {});
  }
  verbose(message: unknown, context?: string): void {
    this.write('debug', message, context ? { context } : {});
  }
  fatal(message: unknown, context?: string): void {
    this.write('error', message, context ? { context } : {});
  }
  setLogLevels(_levels: NestLogLevel[]): void {
    // The level comes from LOG_LEVEL at start-up.
  }
}

/** Nest passes the logging context as a string where the bus passes fields. */
function asFields(fields: Record<string, unknown> | string | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  return typeof fields === 'string' ? { context: fields } : { ...fields };
}
