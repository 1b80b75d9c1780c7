import { z } from 'zod';
import { defineEvent, type EventOf } from '../envelope/define-event.js';

/**
 * read-model-service dropped every view of a user whose account is being deleted (overview, orders,
 * timeline) and remembers the user id as forgotten, so no later or replayed event brings them back.
 * Published by read-model-service only, in answer to AccountDeletionRequested.
 */
export const UserViewsDroppedV1 = defineEvent({
  name: 'UserViewsDropped',
  version: 1,
  context: 'read-model',
  schema: z.strictObject({
    userId: z.uuid(),
    droppedAt: z.iso.datetime({ offset: true }),
  }),
});

export type UserViewsDroppedV1 = EventOf<typeof UserViewsDroppedV1>;
