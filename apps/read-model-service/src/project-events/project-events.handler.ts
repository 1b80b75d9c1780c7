import { Injectable } from '@nestjs/common';
import { UserViewsDroppedV1 } from '@eventshop/contracts';
import { EventBus, type HandleOnce } from '@eventshop/messaging';
import type { ProjectedEvent } from '../read-model/domain/projected-event.js';
import { LIVE_SCHEMA } from '../read-model/infrastructure/projection-tables.js';
import { ProjectionWriter } from '../read-model/infrastructure/projection-writer.js';

/** The stable handler name: the consumer group is `read-model-service__project-read-model`. */
export const PROJECT_READ_MODEL = 'project-read-model';

/**
 * Projects one delivered event into the live read model, once: the inbox row (keyed by this handler
 * and the event id) commits with the projection writes, so a redelivery is skipped. Reordered
 * deliveries need no help here: the projections converge whatever the order (see the domain).
 */
@Injectable()
export class ProjectEventsHandler {
  constructor(
    private readonly writer: ProjectionWriter,
    private readonly eventBus: EventBus,
  ) {}

  async execute(projected: ProjectedEvent, once: HandleOnce): Promise<{ projected: boolean }> {
    const { event } = projected;
    const outcome = await once.run(async (transaction) => {
      // The live generation can be swapped by a rebuild: the writer holds the swap off (in the
      // statement that takes the user's lock) before it touches a table.
      await this.writer.apply(transaction, LIVE_SCHEMA, projected, { holdOffSchemaSwap: true });
      // The read model's answer to an account deletion (each request, retries included), committed
      // with the drop itself. Only the live consumer answers: a rebuild replays, it is asked nothing.
      if (event.type === 'AccountDeletionRequested') {
        const { userId } = event.data;
        await this.eventBus.publish(transaction, UserViewsDroppedV1, { userId, droppedAt: new Date().toISOString() }, { aggregateId: userId });
      }
    });
    return { projected: outcome.processed };
  }
}
