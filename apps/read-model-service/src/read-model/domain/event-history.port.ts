/** One message as stored in the events stream: its position and its raw body (an event envelope). */
export interface StoredEvent {
  readonly streamSequence: number;
  readonly payload: Uint8Array;
}

/**
 * The complete, ordered history of integration events (the events stream). Read-only.
 *
 * Contract: `read(from, to)` yields every stored message with `from <= streamSequence <= to`, in
 * stream order, in batches of at most `batchSize`, and then ends. Positions are stable: reading the
 * same range again yields the same messages at the same positions.
 */
export interface EventHistory {
  /** The position of the newest stored message; 0 for an empty history. */
  lastSequence(): Promise<number>;
  read(from: number, to: number, batchSize: number): AsyncIterable<StoredEvent[]>;
}

export const EVENT_HISTORY = Symbol('EVENT_HISTORY');
