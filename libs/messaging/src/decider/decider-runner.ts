import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { EventContract } from '@eventshop/contracts';
import type { Decider } from '@eventshop/domain';
import { correlationIdOrNew, messageContext } from '../context/message-context.js';
import type { EventBus } from '../outbox/event-bus.js';

/**
 * Where one kind of entity keeps what its decider needs: the store alone knows how (a stream of
 * events, or a row holding the state). Both calls get the runner's transaction.
 */
export interface DecisionStore<Event, State> {
  /**
   * The entity's current state, the decider's initial state when it has none yet. The store may
   * lock it until the transaction ends, so that concurrent commands run one after the other.
   */
  load(transaction: EntityManager, id: string): Promise<State>;
  /**
   * Stores a decision (never an empty one). Contract: if another writer changed the entity after
   * `load`, nothing is written and an error is thrown; the transaction then rolls back and nothing
   * of the decision is published.
   */
  save(transaction: EntityManager, id: string, decision: Decision<Event, State>): Promise<void>;
}

/** What a command decided: its events, the state they were decided on, and the state they lead to. */
export interface Decision<Event, State> {
  readonly before: State;
  readonly events: readonly Event[];
  readonly after: State;
}

/** One integration event to stage in the outbox. Make it with {@link integrationEvent}. */
export interface IntegrationEvent {
  readonly contract: EventContract;
  readonly data: unknown;
  readonly aggregateId: string;
}

/** An integration event whose payload is type-checked against its contract (and validated on publish). */
export function integrationEvent<C extends EventContract>(
  contract: C,
  data: z.input<C['schema']>,
  options: { aggregateId: string },
): IntegrationEvent {
  return { contract, data, aggregateId: options.aggregateId };
}

/**
 * What the rest of the system is told about one domain event: none, one or several integration
 * events. `after` is the entity's state right after this event, so the translation can add facts
 * the event does not carry (an owner, a version). Pure.
 */
export type IntegrationEventsOf<Event, State> = (event: Event, after: State) => readonly IntegrationEvent[];

export interface DeciderRunnerParts<Command, Event, State> {
  readonly decider: Decider<Command, Event, State>;
  readonly store: DecisionStore<Event, State>;
  readonly integrationEventsOf: IntegrationEventsOf<Event, State>;
}

/**
 * Runs a command through a decider: load the state → `decide` → save the decision and publish its
 * integration events through the transactional outbox, all in ONE database transaction, so a change
 * is stored and announced together or not at all.
 *
 * Contract:
 * - A command that decides no events stores and publishes nothing (a repeated request is harmless);
 *   one the decider refuses throws its domain error, and nothing is stored or published either.
 * - Concurrency is the store's business (see {@link DecisionStore}): an event store appends at an
 *   expected version and throws on conflict (order-service answers 409); a state store may lock the
 *   row in `load` so that concurrent commands queue (newsletter-service). Either way a conflict
 *   rolls the whole transaction back. The runner never retries: whether to is the caller's call.
 * - The work runs in a message context (the current one, else a new one), so what the store records
 *   and the integration events staged with it share one correlation id.
 */
export class DeciderRunner<Command, Event, State> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly parts: DeciderRunnerParts<Command, Event, State>,
  ) {}

  /** Runs `command` against entity `id` in a transaction of its own; resolves to the state it leaves. */
  run(id: string, command: Command): Promise<State> {
    return inMessageContext(() => this.dataSource.transaction((transaction) => this.decideAndSave(transaction, id, command)));
  }

  /**
   * Runs `command` against an entity whose id the caller has just made (a new order's UUID): there
   * is nothing to load, so the decision starts from the decider's initial state — one round trip
   * fewer than `run` (bench:shop: round trips are what a request costs). The store's save still
   * guards it: an id that does exist after all is a conflict, as in `run`.
   */
  runNew(id: string, command: Command): Promise<State> {
    return inMessageContext(() =>
      this.dataSource.transaction((transaction) => this.decideAndSave(transaction, id, command, { state: this.parts.decider.initialState })),
    );
  }

  /**
   * Runs `command` inside the caller's open `transaction`, e.g. together with an inbox row, so that a
   * redelivered message changes nothing. On error the caller must roll back.
   */
  runWithin(transaction: EntityManager, id: string, command: Command): Promise<State> {
    return inMessageContext(() => this.decideAndSave(transaction, id, command));
  }

  private async decideAndSave(transaction: EntityManager, id: string, command: Command, known?: { state: State }): Promise<State> {
    const { decider, store, integrationEventsOf } = this.parts;
    // (Boxed: an initial state may itself be null or undefined.)
    const before: State = known ? known.state : await store.load(transaction, id);
    const events = decider.decide(command, before);
    if (events.length === 0) return before;

    // Evolve one event at a time: each integration event is translated with the state right after its own event.
    let after = before;
    const announcements: IntegrationEvent[] = [];
    for (const event of events) {
      after = decider.evolve(after, event);
      announcements.push(...integrationEventsOf(event, after));
    }

    await store.save(transaction, id, { before, events, after });
    for (const { contract, data, aggregateId } of announcements) {
      await this.eventBus.publish(transaction, contract, data, { aggregateId });
    }
    return after;
  }
}

function inMessageContext<T>(work: () => Promise<T>): Promise<T> {
  const context = messageContext.current() ?? { correlationId: correlationIdOrNew(null), causationId: null, trace: {} };
  return messageContext.run(context, work);
}
