import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/**
 * Whether `error` says the database could not be reached — refused or dropped connections, a server
 * shutting down or starting up, a pool that timed out waiting for a connection — as opposed to a
 * wrong query. Such a request may well succeed a moment later: it deserves a 503, not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM wraps the driver's error; pg's own errors carry a SQLSTATE `code`, Node's a system one.
  const cause = (error as { driverError?: unknown } | null)?.driverError ?? error;
  if (!(cause instanceof Error)) return false;
  // TypeORM releases a transaction's query runner when its connection drops mid-transaction; the
  // COMMIT then fails with the first of these, a statement still to run in it with the second
  // (`manager.query`), both before anything is sent, so nothing was committed.
  if (cause instanceof QueryRunnerAlreadyReleasedError || cause instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08xxx connection exception; 57P01-57P03 admin/crash shutdown, cannot connect now; 53300 too many connections.
    if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  }
  // pg and pg-pool say these in words only.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i.test(
    cause.message,
  );
}
