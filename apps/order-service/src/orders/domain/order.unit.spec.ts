import { describe, expect, it } from '@jest/globals';
import { fold } from '@eventshop/domain';
import {
  CorruptOrderStreamError,
  decide,
  evolve,
  InvalidOrderError,
  NotOrderOwnerError,
  type Order,
  OrderAlreadyCancelledError,
  OrderAlreadyExistsError,
  type OrderCommand,
  type OrderEvent,
  type OrderLine,
  orderDecider,
  OrderNotFoundError,
  toOrderView,
  totalCentsOf,
} from './order.js';

const ORDER_ID = '6f1f5b0e-2f55-4d8e-9b8c-3f1f0a4c1e01';
const ANN = '0b6c7a7e-1111-4c1e-8a5e-9d2f8c3b0a01';
const BOB = '0b6c7a7e-2222-4c1e-8a5e-9d2f8c3b0a02';
const PLACED_AT = '2026-11-23T10:00:00.000Z';
const CANCELLED_AT = '2026-11-23T10:05:00.000Z';

const lines: OrderLine[] = [
  { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 },
  { sku: 'PEN-7', quantity: 3, unitPriceCents: 199 },
];

const place = (items: readonly OrderLine[] = lines): OrderCommand => ({ type: 'PlaceOrder', orderId: ORDER_ID, userId: ANN, items, at: PLACED_AT });
const cancel = (requestedBy = ANN): OrderCommand => ({ type: 'CancelOrder', orderId: ORDER_ID, requestedBy, at: CANCELLED_AT });

const replay = (events: readonly OrderEvent[]) => fold(orderDecider, events);

/** Runs commands one after the other from an empty stream, as the runner does; returns the stream. */
function history(...commands: OrderCommand[]): OrderEvent[] {
  const events: OrderEvent[] = [];
  for (const command of commands) events.push(...decide(command, replay(events)));
  return events;
}

/** The order the commands leave behind. */
function orderAfter(...commands: OrderCommand[]): Order {
  const order = replay(history(...commands));
  if (!order) throw new Error('the commands left no order');
  return order;
}

describe('Order aggregate', () => {
  describe('placing', () => {
    it('decides OrderPlaced with the lines and their total', () => {
      expect(decide(place(), null)).toEqual([
        { type: 'OrderPlaced', data: { orderId: ORDER_ID, userId: ANN, items: lines, totalCents: 2 * 1_250 + 3 * 199, placedAt: PLACED_AT } },
      ]);
    });

    it('evolves into a placed order at version 1, without cancelledAt', () => {
      const order = orderAfter(place());
      expect(order).toEqual({ id: ORDER_ID, userId: ANN, status: 'placed', items: lines, totalCents: 3_097, placedAt: PLACED_AT, version: 1 });
      expect(toOrderView(order)).not.toHaveProperty('cancelledAt');
    });

    it('refuses to place an order that already exists', () => {
      expect(() => decide(place(), replay(history(place())))).toThrow(OrderAlreadyExistsError);
    });

    it.each<[string, OrderLine[]]>([
      ['no lines', []],
      ['101 lines', Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1, unitPriceCents: 1 }))],
      ['an empty sku', [{ sku: '', quantity: 1, unitPriceCents: 1 }]],
      ['a 65-character sku', [{ sku: 'x'.repeat(65), quantity: 1, unitPriceCents: 1 }]],
      ['quantity 0', [{ sku: 'A', quantity: 0, unitPriceCents: 1 }]],
      ['quantity 1001', [{ sku: 'A', quantity: 1_001, unitPriceCents: 1 }]],
      ['a fractional quantity', [{ sku: 'A', quantity: 1.5, unitPriceCents: 1 }]],
      ['a negative price', [{ sku: 'A', quantity: 1, unitPriceCents: -1 }]],
      ['a price above 10,000,000 cents', [{ sku: 'A', quantity: 1, unitPriceCents: 10_000_001 }]],
      ['a fractional price', [{ sku: 'A', quantity: 1, unitPriceCents: 0.5 }]],
    ])('refuses an order with %s', (_, items) => {
      expect(() => decide(place(items), null)).toThrow(InvalidOrderError);
    });

    it('accepts the limits themselves: 100 lines, 64-character skus, quantity 1000, free and 10,000,000-cent items', () => {
      const items = Array.from({ length: 100 }, (_, i) => ({ sku: `${i}`.padEnd(64, 'x'), quantity: 1_000, unitPriceCents: i === 0 ? 0 : 10_000_000 }));
      const [placed] = decide(place(items), null);
      expect(placed).toMatchObject({ type: 'OrderPlaced', data: { totalCents: 99 * 1_000 * 10_000_000 } });
    });

    it('records only the line fields, whatever else the command objects carry', () => {
      const extra = [{ sku: 'A', quantity: 1, unitPriceCents: 5, note: 'gift' } as OrderLine];
      // toEqual fails on the extra `note`: the stored fact is exactly what the order consists of.
      expect(decide(place(extra), null)).toEqual([
        { type: 'OrderPlaced', data: expect.objectContaining({ items: [{ sku: 'A', quantity: 1, unitPriceCents: 5 }] }) },
      ]);
    });
  });

  describe('totals', () => {
    it('sums quantity × unit price over every line, exactly', () => {
      expect(totalCentsOf([])).toBe(0);
      expect(totalCentsOf([{ sku: 'FREE', quantity: 5, unitPriceCents: 0 }])).toBe(0);
      expect(totalCentsOf(lines)).toBe(3_097);
      expect(totalCentsOf([{ sku: 'A', quantity: 1_000, unitPriceCents: 10_000_000 }])).toBe(10_000_000_000);
    });
  });

  describe('cancelling', () => {
    it('decides OrderCancelled for the owner of a placed order, and evolves to cancelled at version 2', () => {
      const placed = orderAfter(place());
      expect(decide(cancel(), placed)).toEqual([{ type: 'OrderCancelled', data: { orderId: ORDER_ID, cancelledAt: CANCELLED_AT } }]);
      const cancelled = orderAfter(place(), cancel());
      expect(cancelled).toEqual({ ...placed, status: 'cancelled', cancelledAt: CANCELLED_AT, version: 2 });
      expect(toOrderView(cancelled)).toMatchObject({ status: 'cancelled', cancelledAt: CANCELLED_AT, totalCents: 3_097 });
    });

    it('refuses to cancel twice', () => {
      expect(() => decide(cancel(), replay(history(place(), cancel())))).toThrow(OrderAlreadyCancelledError);
    });

    it("refuses to cancel someone else's order, placed or cancelled", () => {
      expect(() => decide(cancel(BOB), replay(history(place())))).toThrow(NotOrderOwnerError);
      expect(() => decide(cancel(BOB), replay(history(place(), cancel())))).toThrow(NotOrderOwnerError);
    });

    it('refuses to cancel an order that does not exist', () => {
      expect(() => decide(cancel(), null)).toThrow(OrderNotFoundError);
    });
  });

  describe('replaying', () => {
    it('an empty stream is no order', () => {
      expect(orderDecider.initialState).toBeNull();
      expect(replay([])).toBeNull();
    });

    it('refuses histories the rules cannot produce', () => {
      const placed = history(place());
      const cancelled: OrderEvent = { type: 'OrderCancelled', data: { orderId: ORDER_ID, cancelledAt: CANCELLED_AT } };
      expect(() => replay([cancelled])).toThrow(CorruptOrderStreamError);
      expect(() => replay([...placed, ...placed])).toThrow(CorruptOrderStreamError);
    });

    it('evolve does not modify the state it is given', () => {
      const placed = orderAfter(place());
      const snapshot = structuredClone(placed);
      evolve(placed, { type: 'OrderCancelled', data: { orderId: ORDER_ID, cancelledAt: CANCELLED_AT } });
      expect(placed).toEqual(snapshot);
    });
  });
});
