import { NoRespondersError, type NatsConnection, RequestError, TimeoutError } from '@nats-io/nats-core';
import { type PersonalData, PersonalDataReply, personalDataQuerySubject } from '@eventshop/contracts';

export const DEFAULT_PERSONAL_DATA_TIMEOUT_MS = 2_000;

/**
 * user-service did not answer (not running, or too slow). Transient: the event that needed the data
 * is retried with backoff, and succeeds once user-service is back.
 */
export class PersonalDataUnavailableError extends Error {
  readonly permanent = false as const;

  constructor(
    readonly userId: string,
    readonly reason: 'no-responders' | 'timeout',
    options?: ErrorOptions,
  ) {
    super(`user-service did not answer for the personal data of user ${userId} (${reason})`, options);
    this.name = 'PersonalDataUnavailableError';
  }
}

/**
 * Where a service gets a user's personal data (email, name) from, now that events no longer carry it.
 * Resolves to the data, or to null when user-service no longer has it (the account is being deleted
 * or is gone: the caller records nothing of the user); rejects with PersonalDataUnavailableError when
 * user-service does not answer.
 */
export interface PersonalDataSource {
  find(userId: string): Promise<PersonalData | null>;
}

/** The PersonalDataSource over NATS request-reply (`user.personal-data.get`, answered by user-service). */
export class PersonalDataClient implements PersonalDataSource {
  private readonly subject: string;

  constructor(
    private readonly connection: () => NatsConnection,
    namespace: string,
    private readonly timeoutMs = DEFAULT_PERSONAL_DATA_TIMEOUT_MS,
  ) {
    this.subject = personalDataQuerySubject(namespace);
  }

  async find(userId: string): Promise<PersonalData | null> {
    let reply;
    try {
      reply = await this.connection().request(this.subject, JSON.stringify({ userId }), { timeout: this.timeoutMs });
    } catch (error) {
      const reason = unavailability(error);
      if (reason) throw new PersonalDataUnavailableError(userId, reason, { cause: error });
      throw error;
    }
    const answer = PersonalDataReply.parse(reply.json());
    if (answer.userId !== userId) throw new Error(`user-service answered for user ${answer.userId}, asked for ${userId}`);
    return answer.found ? { userId, email: answer.email, name: answer.name } : null;
  }
}

function unavailability(error: unknown): 'no-responders' | 'timeout' | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof NoRespondersError || (cause instanceof RequestError && cause.isNoResponders())) return 'no-responders';
    if (cause instanceof TimeoutError) return 'timeout';
  }
  return undefined;
}
