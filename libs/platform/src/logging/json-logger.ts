import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { messageContext, type BusLogger } from '@eventshop/messaging';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line on stdout: time, level, service, context, message, the correlation id of
 * the request or message being handled, and any fields. Nest and the bus both log through it.
 * Callers must never pass secrets (passwords, hashes, tokens) as fields.
 */
export class JsonLogger implements LoggerService, BusLogger {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  private emit(level: LogLevel, message: unknown, fields: Record<string, unknown> = {}): void {
    if (severity[level] < severity[this.level]) return;
    const context = messageContext.current();
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      msg: message instanceof Error ? message.message : String(message),
      ...fields,
    };
    if (context) entry.correlationId = context.correlationId;
    this.write(JSON.stringify(entry));
  }

  // BusLogger
  debug(message: unknown, fields?: Record<string, unknown> | string): void {
    this.emit('debug', message, asFields(fields));
  }
  info(message: unknown, fields?: Record<string, unknown> | string): void {
    this.emit('info', message, asFields(fields));
  }
  warn(message: unknown, fields?: Record<string, unknown> | string): void {
    this.emit('warn', message, asFields(fields));
  }
  error(message: unknown, fields?: Record<string, unknown> | string, context?: string): void {
    const extra = asFields(fields);
    if (context) extra.context = context;
    if (message instanceof Error && message.stack) extra.stack = message.stack;
    this.emit('error', message, extra);
  }

  // LoggerService
  log(message: unknown, context?: string): void {
    this.emit('info', message, context ? { context } : {});
  }
  verbose(message: unknown, context?: string): void {
    this.emit('debug', message, context ? { context } : {});
  }
  fatal(message: unknown, context?: string): void {
    this.emit('error', message, context ? { context } : {});
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
