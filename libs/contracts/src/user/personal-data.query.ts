import { z } from 'zod';
import { PERSONAL } from '../personal-data.js';

/*
 * The one way to a user's personal data: a NATS request to user-service, which alone keeps it.
 *
 *   request  subject `user.personal-data.get` (NATS_NAMESPACE-prefixed), JSON {"userId": "<uuid>"}
 *   reply    {"found": true, "userId", "email", "name"}  — the account is active
 *        or  {"found": false, "userId"}                  — unknown, being deleted, or erased: forget it
 *
 * Only the services whose package.json lists it under `eventshop.bus.asks` may send it (their NATS
 * permissions), and only user-service answers it. On an open NATS (development, tests) anyone may.
 */

export const PERSONAL_DATA_QUERY_SUBJECT = 'user.personal-data.get';

/** The subject in a namespace, as the event subjects are namespaced. */
export function personalDataQuerySubject(namespace: string): string {
  return namespace ? `${namespace}.${PERSONAL_DATA_QUERY_SUBJECT}` : PERSONAL_DATA_QUERY_SUBJECT;
}

export const PersonalDataRequest = z.strictObject({ userId: z.uuid() });
export type PersonalDataRequest = z.output<typeof PersonalDataRequest>;

export const PersonalDataReply = z.discriminatedUnion('found', [
  z.strictObject({
    found: z.literal(true),
    userId: z.uuid(),
    email: z.email().meta(PERSONAL),
    name: z.string().min(1).max(100).meta(PERSONAL),
  }),
  z.strictObject({ found: z.literal(false), userId: z.uuid() }),
]);
export type PersonalDataReply = z.output<typeof PersonalDataReply>;

/** A user's personal data as user-service holds it. */
export interface PersonalData {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
}
