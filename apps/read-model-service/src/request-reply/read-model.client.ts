import { randomUUID } from 'node:crypto';
import { headers, NoRespondersError, type NatsConnection, RequestError, TimeoutError } from '@nats-io/nats-core';
import {
  AUTHORIZATION_HEADER,
  querySubject,
  type ReadModelErrorBody,
  type ReadModelQuery,
  type ReadModelReplies,
} from './read-model.rpc-api.js';

export const DEFAULT_QUERY_TIMEOUT_MS = 2_000;

/** Nobody took the request: no read-model-service is subscribed, or none answered in time. */
export class ReadModelUnavailableError extends Error {
  constructor(
    readonly subject: string,
    /** `no-responders`: NATS knew at once that nobody listens; `timeout`: a responder never replied. */
    readonly reason: 'no-responders' | 'timeout',
    timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(
      reason === 'no-responders'
        ? `Nobody answers ${subject}: is read-model-service running, on this NATS server and NATS_NAMESPACE?`
        : `read-model-service did not answer ${subject} within ${timeoutMs} ms`,
      options,
    );
    this.name = 'ReadModelUnavailableError';
  }
}

/** The read model answered with an error: 400 bad request, 401 no valid token, 403 someone else's data, 500 its failure. */
export class ReadModelQueryError extends Error {
  constructor(
    readonly subject: string,
    readonly body: ReadModelErrorBody,
  ) {
    super(`${subject} failed with ${body.statusCode}: ${body.message}`);
    this.name = 'ReadModelQueryError';
  }
}

export interface ReadModelClientOptions {
  /** The NATS_NAMESPACE of the read-model-service to ask; empty (the default) in normal runs. */
  readonly namespace?: string;
  /** How long to wait for the reply. */
  readonly timeoutMs?: number;
}

/** Nest's reply packet on the NATS transport. */
interface ReplyPacket<T> {
  readonly response?: T;
  readonly err?: ReadModelErrorBody | string;
}

/**
 * A typed client for the read model's request-reply API, on a NATS connection the caller owns:
 *
 * ```ts
 * const readModel = new ReadModelClient(connection, { namespace: config.NATS_NAMESPACE });
 * const overview = await readModel.userOverview(userId, accessToken); // null: no such user
 * ```
 *
 * Every call carries the user's access token (the one REST takes as `Authorization: Bearer`), and
 * the read model answers only for that user. Each call resolves with the view, or null for an
 * unknown user; it rejects with
 * ReadModelUnavailableError when nobody answers (at once when nobody listens, else after the
 * timeout) and with ReadModelQueryError when the service answered with an error.
 */
export class ReadModelClient {
  private readonly namespace: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly connection: NatsConnection,
    options: ReadModelClientOptions = {},
  ) {
    this.namespace = options.namespace ?? '';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  }

  userOverview(userId: string, accessToken: string): Promise<ReadModelReplies['userOverview'] | null> {
    return this.request('userOverview', userId, accessToken);
  }

  userOrders(userId: string, accessToken: string): Promise<ReadModelReplies['userOrders'] | null> {
    return this.request('userOrders', userId, accessToken);
  }

  userTimeline(userId: string, accessToken: string): Promise<ReadModelReplies['userTimeline'] | null> {
    return this.request('userTimeline', userId, accessToken);
  }

  async request<Q extends ReadModelQuery>(query: Q, userId: string, accessToken: string): Promise<ReadModelReplies[Q] | null> {
    const subject = querySubject(this.namespace, query);
    const packet = JSON.stringify({ id: randomUUID(), pattern: subject, data: { userId } });
    const requestHeaders = headers();
    requestHeaders.set(AUTHORIZATION_HEADER, `Bearer ${accessToken}`);
    let reply;
    try {
      reply = await this.connection.request(subject, packet, { timeout: this.timeoutMs, headers: requestHeaders });
    } catch (error) {
      const reason = unavailability(error);
      if (reason) throw new ReadModelUnavailableError(subject, reason, this.timeoutMs, { cause: error });
      throw error;
    }
    const { response, err } = reply.json<ReplyPacket<ReadModelReplies[Q]>>();
    if (err === undefined || err === null) return response as ReadModelReplies[Q];
    const body: ReadModelErrorBody = typeof err === 'string' ? { statusCode: 500, error: 'Error', message: err } : err;
    if (body.statusCode === 404) return null;
    throw new ReadModelQueryError(subject, body);
  }
}

/** Why a request failed for want of an answer, if it did: nats.js wraps the reason in a RequestError. */
function unavailability(error: unknown): 'no-responders' | 'timeout' | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof NoRespondersError || (cause instanceof RequestError && cause.isNoResponders())) return 'no-responders';
    if (cause instanceof TimeoutError) return 'timeout';
  }
  return undefined;
}
