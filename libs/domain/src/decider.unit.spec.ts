import { describe, expect, it } from '@jest/globals';
import { type Decider, fold } from './decider.js';

/** A counter that only counts up to a limit: the smallest decider that still refuses something. */
type Command = { type: 'Add'; amount: number };
type Event = { type: 'Added'; amount: number };
const counter: Decider<Command, Event, number> = {
  decide: (command, total) => {
    if (total + command.amount > 10) throw new Error('over the limit');
    return command.amount === 0 ? [] : [{ type: 'Added', amount: command.amount }];
  },
  evolve: (total, event) => total + event.amount,
  initialState: 0,
};

describe('fold', () => {
  it('is the initial state for no events', () => {
    expect(fold(counter, [])).toBe(0);
  });

  it('applies the events oldest first, from the initial state or from the state given', () => {
    const trace: number[] = [];
    const tracing = { ...counter, evolve: (total: number, event: Event) => (trace.push(event.amount), total + event.amount) };
    expect(fold(tracing, [{ type: 'Added', amount: 2 }, { type: 'Added', amount: 3 }])).toBe(5);
    expect(trace).toEqual([2, 3]);
    expect(fold(counter, [{ type: 'Added', amount: 1 }], 7)).toBe(8);
  });

  it('rebuilds the state that decide and evolve produced', () => {
    const history: Event[] = [];
    for (const amount of [4, 0, 5]) history.push(...counter.decide({ type: 'Add', amount }, fold(counter, history)));
    expect(history).toHaveLength(2);
    expect(fold(counter, history)).toBe(9);
    expect(() => counter.decide({ type: 'Add', amount: 2 }, fold(counter, history))).toThrow('over the limit');
  });
});
