/**
 * The decider: an entity's business rules as three pure parts (the functional event-sourcing
 * pattern described by Jérémie Chassaing, and used by Emmett among others).
 *
 * - `decide(command, state)` applies the rules to the current state and returns the events the
 *   command causes: none when it changes nothing (a repeated request), or it throws a domain error
 *   when the command is refused. It changes nothing itself.
 * - `evolve(state, event)` returns the state after one event. Events are facts: it never refuses
 *   one that `decide` could have produced.
 * - `initialState` is the state before the entity's first event (typically "does not exist").
 *
 * No framework, no database, no clock: time comes in with the command, and whoever runs the decider
 * (see `DeciderRunner` in `@eventshop/messaging`) loads the state, stores the events or the state
 * they lead to, and publishes what the rest of the system must hear.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  readonly initialState: State;
}

/**
 * The state after `events`, applied oldest first, starting from `state` (by default the decider's
 * initial state: replaying an entity's whole history rebuilds it).
 */
export function fold<Event, State>(
  decider: Pick<Decider<never, Event, State>, 'evolve' | 'initialState'>,
  events: readonly Event[],
  state: State = decider.initialState,
): State {
  return events.reduce((current, event) => decider.evolve(current, event), state);
}
