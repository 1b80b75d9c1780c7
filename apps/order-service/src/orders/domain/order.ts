import type { Decider } from '@eventshop/domain';

/**
 * The order aggregate, event-sourced: a {@link Decider} (`orderDecider`, after `evolve` below).
 * `decide` refuses a command with a domain error or returns the events it causes; `evolve` applies
 * one event; before its first event an order does not exist (`initialState` is null). Folding an
 * order's stream through `evolve` rebuilds it: the state is derived, never stored.
 *
 * Pure: no framework, no database, no clock (the time comes in with the command).
 */

/** Bounds on what one order may contain. The request DTO reports them per field; `decide` enforces them. */
export const MAX_ORDER_LINES = 100;
export const SKU_MAX_LENGTH = 64;
export const MAX_QUANTITY = 1_000;
export const MAX_UNIT_PRICE_CENTS = 10_000_000;

export interface OrderLine {
  readonly sku: string;
  /** A whole number from 1 to {@link MAX_QUANTITY}. */
  readonly quantity: number;
  /** Euro cents, a whole number from 0 (free) to {@link MAX_UNIT_PRICE_CENTS}. */
  readonly unitPriceCents: number;
}

export type OrderStatus = 'placed' | 'cancelled';

/** An order as its events leave it. */
export interface Order {
  readonly id: string;
  /** The customer who placed it; the only one who may see or cancel it. */
  readonly userId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  readonly totalCents: number;
  readonly placedAt: string;
  /** Set once the order is cancelled. */
  readonly cancelledAt?: string;
  /** How many events the order's stream holds; the next event gets `version + 1`. */
  readonly version: number;
}

/** Before its first event an order does not exist. */
export type OrderState = Order | null;

// --- events: what happened to an order, as stored in its stream -------------------------------------

export interface OrderPlaced {
  readonly type: 'OrderPlaced';
  readonly data: {
    readonly orderId: string;
    readonly userId: string;
    readonly items: readonly OrderLine[];
    /** Recorded as computed when the order was placed, so history never changes with the rules. */
    readonly totalCents: number;
    readonly placedAt: string;
  };
}

export interface OrderCancelled {
  readonly type: 'OrderCancelled';
  readonly data: { readonly orderId: string; readonly cancelledAt: string };
}

export type OrderEvent = OrderPlaced | OrderCancelled;

// --- commands: what someone asks of an order ---------------------------------------------------------

export interface PlaceOrder {
  readonly type: 'PlaceOrder';
  readonly orderId: string;
  readonly userId: string;
  readonly items: readonly OrderLine[];
  /** ISO-8601 time of the request. */
  readonly at: string;
}

export interface CancelOrder {
  readonly type: 'CancelOrder';
  readonly orderId: string;
  /** The user asking; only the order's owner may cancel it. */
  readonly requestedBy: string;
  readonly at: string;
}

export type OrderCommand = PlaceOrder | CancelOrder;

// --- decide ------------------------------------------------------------------------------------------

/** The events `command` causes on an order in `state`; throws a domain error when it is refused. */
export function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      return placeOrder(command, state);
    case 'CancelOrder':
      return cancelOrder(command, state);
  }
}

function placeOrder(command: PlaceOrder, state: OrderState): OrderEvent[] {
  if (state) throw new OrderAlreadyExistsError(command.orderId);
  assertValidLines(command.items);
  const items = command.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents }));
  return [
    {
      type: 'OrderPlaced',
      data: { orderId: command.orderId, userId: command.userId, items, totalCents: totalCentsOf(items), placedAt: command.at },
    },
  ];
}

function cancelOrder(command: CancelOrder, state: OrderState): OrderEvent[] {
  if (!state) throw new OrderNotFoundError(command.orderId);
  if (state.userId !== command.requestedBy) throw new NotOrderOwnerError(command.orderId);
  if (state.status === 'cancelled') throw new OrderAlreadyCancelledError(command.orderId);
  return [{ type: 'OrderCancelled', data: { orderId: state.id, cancelledAt: command.at } }];
}

/** The sum of quantity × unit price over all lines, in cents. */
export function totalCentsOf(lines: readonly OrderLine[]): number {
  // At most 100 × 1,000 × 10,000,000 = 10^12: far inside the exact range of a JS number.
  return lines.reduce((total, line) => total + line.quantity * line.unitPriceCents, 0);
}

function assertValidLines(lines: readonly OrderLine[]): void {
  if (lines.length === 0) throw new InvalidOrderError('an order needs at least one line');
  if (lines.length > MAX_ORDER_LINES) throw new InvalidOrderError(`an order has at most ${MAX_ORDER_LINES} lines`);
  for (const { sku, quantity, unitPriceCents } of lines) {
    if (sku.length < 1 || sku.length > SKU_MAX_LENGTH) {
      throw new InvalidOrderError(`a sku is 1 to ${SKU_MAX_LENGTH} characters long`);
    }
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      throw new InvalidOrderError(`a quantity is a whole number from 1 to ${MAX_QUANTITY}`);
    }
    if (!Number.isInteger(unitPriceCents) || unitPriceCents < 0 || unitPriceCents > MAX_UNIT_PRICE_CENTS) {
      throw new InvalidOrderError(`a unit price is a whole number of cents from 0 to ${MAX_UNIT_PRICE_CENTS}`);
    }
  }
}

// --- evolve ------------------------------------------------------------------------------------------

/** The order after `event`. Throws only for a history `decide` can never produce (a corrupt stream). */
export function evolve(state: OrderState, event: OrderEvent): Order {
  switch (event.type) {
    case 'OrderPlaced': {
      if (state) throw new CorruptOrderStreamError(state.id, 'OrderPlaced after the order existed');
      const { orderId, userId, items, totalCents, placedAt } = event.data;
      return { id: orderId, userId, status: 'placed', items, totalCents, placedAt, version: 1 };
    }
    case 'OrderCancelled': {
      if (!state) throw new CorruptOrderStreamError(event.data.orderId, 'OrderCancelled before OrderPlaced');
      return { ...state, status: 'cancelled', cancelledAt: event.data.cancelledAt, version: state.version + 1 };
    }
  }
}

/** The order's rules as one value, for `fold` and the runner that executes order commands. */
export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = { decide, evolve, initialState: null };

// --- what the API shows ------------------------------------------------------------------------------

export interface OrderView {
  readonly id: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  readonly totalCents: number;
  readonly version: number;
  readonly placedAt: string;
  /** Present only once the order is cancelled. */
  readonly cancelledAt?: string;
}

export function toOrderView(order: Order): OrderView {
  const { id, userId, status, items, totalCents, version, placedAt, cancelledAt } = order;
  return { id, userId, status, items, totalCents, version, placedAt, ...(cancelledAt ? { cancelledAt } : {}) };
}

// --- errors --------------------------------------------------------------------------------------------

export class InvalidOrderError extends Error {
  constructor(reason: string) {
    super(`Invalid order: ${reason}`);
    this.name = 'InvalidOrderError';
  }
}

export class OrderAlreadyExistsError extends Error {
  constructor(readonly orderId: string) {
    super(`Order ${orderId} already exists`);
    this.name = 'OrderAlreadyExistsError';
  }
}

export class OrderNotFoundError extends Error {
  constructor(readonly orderId: string) {
    super('Order not found');
    this.name = 'OrderNotFoundError';
  }
}

/** Someone other than the owner asked to change the order. */
export class NotOrderOwnerError extends Error {
  constructor(readonly orderId: string) {
    super(`Order ${orderId} belongs to another customer`);
    this.name = 'NotOrderOwnerError';
  }
}

export class OrderAlreadyCancelledError extends Error {
  constructor(readonly orderId: string) {
    super('This order is already cancelled');
    this.name = 'OrderAlreadyCancelledError';
  }
}

/**
 * Another writer appended to the order's stream after we read it (optimistic concurrency): our
 * decision was based on an outdated state, so it is dropped. Reading again and retrying is safe.
 */
export class OrderChangedConcurrentlyError extends Error {
  constructor(readonly orderId: string) {
    super('The order was changed by another request at the same time; reload it and try again');
    this.name = 'OrderChangedConcurrentlyError';
  }
}

/** A stream whose history breaks the rules: a bug or a hand edit, never a user mistake. */
export class CorruptOrderStreamError extends Error {
  constructor(orderId: string, problem: string) {
    super(`Order stream ${orderId} is corrupt: ${problem}`);
    this.name = 'CorruptOrderStreamError';
  }
}
