import { beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { defineEvent, type EventEnvelope } from '@eventshop/contracts';
import { type Decider, fold } from '@eventshop/domain';
import { messageContext } from '../context/message-context.js';
import { EventBus } from '../outbox/event-bus.js';
import { topologyFor } from '../jetstream/topology.js';
import { type Decision, DeciderRunner, type DecisionStore, integrationEvent } from './decider-runner.js';

// --- a tiny event-sourced domain: tallies that only count up -----------------------------------------

const TallyRaisedV1 = defineEvent({
  name: 'TallyRaised',
  version: 1,
  context: 'test',
  schema: z.object({ tallyId: z.string(), total: z.number().int(), tallyVersion: z.number().int() }),
});

type TallyCommand = { readonly type: 'Raise'; readonly tallyId: string; readonly amounts: readonly number[] };
type TallyEvent = { readonly type: 'Raised'; readonly tallyId: string; readonly amount: number };
interface Tally {
  readonly total: number;
  readonly version: number;
}

class NegativeAmountError extends Error {}

const tallies: Decider<TallyCommand, TallyEvent, Tally> = {
  // One event per non-zero amount: a command may decide none, one or several.
  decide: (command) => {
    if (command.amounts.some((amount) => amount < 0)) throw new NegativeAmountError('tallies only count up');
    return command.amounts.filter((amount) => amount > 0).map((amount) => ({ type: 'Raised', tallyId: command.tallyId, amount }));
  },
  evolve: (tally, event) => ({ total: tally.total + event.amount, version: tally.version + 1 }),
  initialState: { total: 0, version: 0 },
};

const tallyIntegrationEvents = (event: TallyEvent, after: Tally) => [
  integrationEvent(TallyRaisedV1, { tallyId: event.tallyId, total: after.total, tallyVersion: after.version }, { aggregateId: event.tallyId }),
];

// --- a database in memory: a transaction stages its writes, and only its commit applies them ---------

class InMemoryDatabase {
  readonly streams = new Map<string, TallyEvent[]>();
  readonly outbox: EventEnvelope[] = [];
  transactionsStarted = 0;

  readonly dataSource = { transaction: (work: (transaction: EntityManager) => Promise<unknown>) => this.transaction(work) } as unknown as DataSource;

  async transaction<T>(work: (transaction: EntityManager) => Promise<T>): Promise<T> {
    this.transactionsStarted++;
    const transaction = new InMemoryTransaction(this);
    const result = await work(transaction as unknown as EntityManager); // a throw rolls back: nothing staged is applied
    transaction.commit();
    return result;
  }
}

class InMemoryTransaction {
  private readonly writes: Array<() => void> = [];
  constructor(private readonly database: InMemoryDatabase) {}

  static of(transaction: EntityManager): InMemoryTransaction {
    return transaction as unknown as InMemoryTransaction;
  }

  stage(write: () => void): void {
    this.writes.push(write);
  }

  /** The one statement `EventBus.publish` runs: the outbox insert, whose 4th parameter is the envelope. */
  async query(_sql: string, parameters: unknown[]): Promise<void> {
    const envelope = JSON.parse(parameters[3] as string) as EventEnvelope;
    this.stage(() => this.database.outbox.push(envelope));
  }

  commit(): void {
    for (const write of this.writes) write();
  }
}

class TallyChangedConcurrentlyError extends Error {}

/** An event store: appends at the version the decision was based on, and refuses when the stream moved on. */
class InMemoryTallyStore implements DecisionStore<TallyEvent, Tally> {
  readonly saved: Array<{ id: string; decision: Decision<TallyEvent, Tally>; correlationId: string | undefined }> = [];
  /** Runs once between a load and the save that follows: another writer, for the concurrency test. */
  onNextLoad: (() => void) | null = null;

  constructor(private readonly database: InMemoryDatabase) {}

  loads = 0;

  async load(_transaction: EntityManager, id: string): Promise<Tally> {
    this.loads++;
    const tally = fold(tallies, this.database.streams.get(id) ?? []);
    this.onNextLoad?.();
    this.onNextLoad = null;
    return tally;
  }

  async save(transaction: EntityManager, id: string, decision: Decision<TallyEvent, Tally>): Promise<void> {
    const stream = this.database.streams.get(id) ?? [];
    if (stream.length !== decision.before.version) throw new TallyChangedConcurrentlyError();
    this.saved.push({ id, decision, correlationId: messageContext.current()?.correlationId });
    InMemoryTransaction.of(transaction).stage(() => this.database.streams.set(id, [...stream, ...decision.events]));
  }
}

// --- the tests -------------------------------------------------------------------------------------------

describe('DeciderRunner', () => {
  const TALLY = 'tally-1';
  let database: InMemoryDatabase;
  let store: InMemoryTallyStore;
  let runner: DeciderRunner<TallyCommand, TallyEvent, Tally>;

  beforeEach(() => {
    database = new InMemoryDatabase();
    store = new InMemoryTallyStore(database);
    const eventBus = new EventBus('tally-service', topologyFor());
    runner = new DeciderRunner(database.dataSource, eventBus, { decider: tallies, store, integrationEventsOf: tallyIntegrationEvents });
  });

  const raise = (...amounts: number[]): TallyCommand => ({ type: 'Raise', tallyId: TALLY, amounts });

  it('runNew decides from the initial state without loading, and the store still refuses an id that exists', async () => {
    await expect(runner.runNew(TALLY, raise(4))).resolves.toEqual({ total: 4, version: 1 });
    expect(store.loads).toBe(0);
    expect(database.outbox).toEqual([expect.objectContaining({ type: 'TallyRaised', data: { tallyId: TALLY, total: 4, tallyVersion: 1 } })]);

    // The id was not new after all: the save sees the stream moved past version 0, and nothing is written.
    await expect(runner.runNew(TALLY, raise(1))).rejects.toThrow(TallyChangedConcurrentlyError);
    expect(database.streams.get(TALLY)).toHaveLength(1);
    expect(database.outbox).toHaveLength(1);
  });

  it('loads, decides, saves the decision and stages its integration events, in one transaction', async () => {
    await expect(runner.run(TALLY, raise(2))).resolves.toEqual({ total: 2, version: 1 });
    await expect(runner.run(TALLY, raise(3))).resolves.toEqual({ total: 5, version: 2 });

    expect(database.transactionsStarted).toBe(2);
    expect(store.saved[1]).toMatchObject({
      id: TALLY,
      decision: { before: { total: 2, version: 1 }, events: [{ type: 'Raised', amount: 3 }], after: { total: 5, version: 2 } },
    });
    expect(database.streams.get(TALLY)).toHaveLength(2);
    expect(database.outbox).toEqual([
      expect.objectContaining({ type: 'TallyRaised', source: 'tally-service', aggregateId: TALLY, data: { tallyId: TALLY, total: 2, tallyVersion: 1 } }),
      expect.objectContaining({ type: 'TallyRaised', aggregateId: TALLY, data: { tallyId: TALLY, total: 5, tallyVersion: 2 } }),
    ]);
  });

  it('translates each event with the state right after it, when one command decides several', async () => {
    await runner.run(TALLY, raise(1, 10));
    expect(database.outbox.map((envelope) => envelope.data)).toEqual([
      { tallyId: TALLY, total: 1, tallyVersion: 1 },
      { tallyId: TALLY, total: 11, tallyVersion: 2 },
    ]);
  });

  it('stores and publishes nothing for a command that decides no events, and returns the state as it was', async () => {
    await runner.run(TALLY, raise(4));
    await expect(runner.run(TALLY, raise(0))).resolves.toEqual({ total: 4, version: 1 });
    expect(store.saved).toHaveLength(1);
    expect(database.outbox).toHaveLength(1);
  });

  it('passes a refusal on, with nothing stored or published', async () => {
    await expect(runner.run(TALLY, raise(5, -1))).rejects.toThrow(NegativeAmountError);
    expect(store.saved).toHaveLength(0);
    expect(database.streams.has(TALLY)).toBe(false);
    expect(database.outbox).toHaveLength(0);
  });

  it('passes a conflict from the store on, and the rolled-back transaction publishes nothing', async () => {
    await runner.run(TALLY, raise(1));
    // Another writer commits version 2 after our load: our decision, based on version 1, must not land.
    store.onNextLoad = () => database.streams.get(TALLY)!.push({ type: 'Raised', tallyId: TALLY, amount: 100 });
    await expect(runner.run(TALLY, raise(7))).rejects.toThrow(TallyChangedConcurrentlyError);
    expect(database.streams.get(TALLY)!.map((event) => event.amount)).toEqual([1, 100]);
    expect(database.outbox.map((envelope) => envelope.data)).toEqual([{ tallyId: TALLY, total: 1, tallyVersion: 1 }]);
  });

  it('runs within the caller’s transaction, whose commit makes the change visible', async () => {
    await database.transaction(async (transaction) => {
      await expect(runner.runWithin(transaction, TALLY, raise(3))).resolves.toEqual({ total: 3, version: 1 });
      expect(database.outbox).toHaveLength(0); // staged, not yet committed
    });
    expect(database.transactionsStarted).toBe(1);
    expect(database.streams.get(TALLY)).toHaveLength(1);
    expect(database.outbox).toHaveLength(1);
  });

  it('gives the stored change and its integration events one correlation id: the current one, else a new one', async () => {
    const context = { correlationId: 'corr-7', causationId: 'cause-7', trace: {} };
    await messageContext.run(context, () => runner.run(TALLY, raise(1)));
    await runner.run(TALLY, raise(2)); // outside any request or message

    expect(store.saved.map((saved) => saved.correlationId)).toEqual(['corr-7', database.outbox[1]!.correlationId]);
    expect(database.outbox[0]).toMatchObject({ correlationId: 'corr-7', causationId: 'cause-7' });
    expect(database.outbox[1]!.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
