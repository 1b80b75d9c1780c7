import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventEnvelope } from '@eventshop/contracts';
import { JetStreamContext, OnEvent } from '@eventshop/messaging';
import { asProjectable, PROJECTED_CONTRACTS } from '../read-model/domain/projected-event.js';
import { PROJECT_READ_MODEL, ProjectEventsHandler } from './project-events.handler.js';

@Controller()
export class ProjectEventsEventController {
  constructor(private readonly handler: ProjectEventsHandler) {}

  /**
   * One consumer follows every event of the catalogue, so the writes for one event (overview,
   * orders, timeline) commit together. Several deliveries run at once, ordered per aggregate; the
   * projections do not depend on that order, and writes for one user are serialised in the database.
   */
  // A sign-up asks user-service for the personal data: the long retry budget (about two minutes)
  // outlasts a restart of user-service instead of dead-lettering the sign-ups meanwhile.
  @OnEvent(PROJECTED_CONTRACTS, { handler: PROJECT_READ_MODEL, maxInFlight: 4, retry: { maxAttempts: 10 } })
  async onEvent(@Payload() event: EventEnvelope, @Ctx() context: JetStreamContext): Promise<void> {
    const streamSequence = context.getMessage().streamSequence;
    if (streamSequence === undefined) throw new Error('the read model needs the stream sequence of every event');
    await this.handler.execute({ event: asProjectable(event), streamSequence }, context.once);
  }
}
