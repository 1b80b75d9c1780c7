import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/nats-core';
import { type PersonalDataReply, PersonalDataRequest, personalDataQuerySubject } from '@eventshop/contracts';
import { MessagingRuntime } from '@eventshop/messaging';
import type { ServiceLogger } from '@eventshop/platform';
import { UserRepository } from '../users/infrastructure/user.repository.js';

export const PERSONAL_DATA_RESPONDER_LOGGER = Symbol('PERSONAL_DATA_RESPONDER_LOGGER');

/** Replicas share the requests. */
const QUEUE_GROUP = 'user-service.personal-data';

/**
 * Answers `user.personal-data.get`: the one place the rest of the shop gets a user's email and name
 * from, since events no longer carry them (see the README, "Personal data and the right to be
 * forgotten"). An active account answers `found: true` with the data; an unknown one, one being
 * deleted (deactivated) and an erased one answer `found: false` — the asker then records nothing.
 * A malformed request is answered `found: false` for no one and logged, never a crash.
 *
 * Who may ask is the NATS server's business: only the services whose package.json `bus.asks` lists
 * the subject get the publish permission (email-service, read-model-service).
 */
@Injectable()
export class AnswerPersonalDataResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: Subscription | undefined;

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly users: UserRepository,
    @Inject(PERSONAL_DATA_RESPONDER_LOGGER) private readonly logger: ServiceLogger,
  ) {}

  onApplicationBootstrap(): void {
    const subject = personalDataQuerySubject(this.runtime.options.namespace ?? '');
    this.subscription = this.runtime.connection.subscribe(subject, {
      queue: QUEUE_GROUP,
      callback: (error, message) => {
        if (error) return;
        void this.answer(message.data)
          .then((reply) => message.respond(JSON.stringify(reply)))
          .catch((failure: unknown) => this.logger.warn('personal-data request not answered', { error: String(failure) }));
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /** The reply to one request (exported for its contract, not for callers). */
  async answer(data: Uint8Array): Promise<PersonalDataReply | { found: false; error: string }> {
    let request: PersonalDataRequest;
    try {
      request = PersonalDataRequest.parse(JSON.parse(new TextDecoder().decode(data)));
    } catch {
      return { found: false, error: 'the request must be {"userId": "<uuid>"}' };
    }
    const user = await this.users.findById(request.userId);
    return user ? { found: true, userId: user.id, email: user.email, name: user.name } : { found: false, userId: request.userId };
  }
}
