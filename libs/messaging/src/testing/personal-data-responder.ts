import type { NatsConnection } from '@nats-io/nats-core';
import { type PersonalData, type PersonalDataReply, PersonalDataRequest, personalDataQuerySubject } from '@eventshop/contracts';

/**
 * Answers `user.personal-data.get` on a real NATS server as user-service would, from `directory`
 * (a test adds and removes users in it): for tests of a consumer that run without user-service.
 * Returns a stop function.
 */
export function answerPersonalData(connection: NatsConnection, namespace: string, directory: Map<string, Omit<PersonalData, 'userId'>>): () => void {
  const subscription = connection.subscribe(personalDataQuerySubject(namespace), {
    callback: (error, message) => {
      if (error) return;
      const { userId } = PersonalDataRequest.parse(message.json());
      const known = directory.get(userId);
      const reply: PersonalDataReply = known ? { found: true, userId, ...known } : { found: false, userId };
      message.respond(JSON.stringify(reply));
    },
  });
  return () => subscription.unsubscribe();
}
