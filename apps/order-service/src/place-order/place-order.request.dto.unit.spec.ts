import { describe, expect, it } from '@jest/globals';
import { PlaceOrderRequest } from './place-order.request.dto.js';

const line = { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 };
const problems = (input: unknown) => {
  const result = PlaceOrderRequest.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).sort();
};
const badFields = (input: unknown) => [...new Set(problems(input).map((problem) => problem.split(':')[0]))];

describe('PlaceOrderRequest', () => {
  it('accepts a valid order and trims skus', () => {
    expect(PlaceOrderRequest.parse({ items: [{ ...line, sku: ' BOOK-1 ' }] })).toEqual({ items: [line] });
  });

  it.each([
    ['no body', undefined],
    ['an array', [line]],
    ['a string', 'order please'],
  ])('rejects %s as a whole', (_, body) => {
    expect(problems(body)).toEqual(['body: must be a JSON object with an items list']);
  });

  it('requires at least one line, and at most 100', () => {
    expect(badFields({})).toEqual(['items']);
    expect(problems({ items: [] })).toEqual(['items: must contain at least one line']);
    expect(badFields({ items: Array.from({ length: 100 }, () => line) })).toEqual([]);
    expect(problems({ items: Array.from({ length: 101 }, () => line) })).toEqual(['items: must contain at most 100 lines']);
  });

  it('names every bad field of every line at once', () => {
    const items = [line, { sku: '', quantity: 0, unitPriceCents: -1 }, { sku: 'x'.repeat(65), quantity: 1.5, unitPriceCents: 10_000_001 }, { sku: 7, quantity: '2', unitPriceCents: 0.5 }];
    expect(badFields({ items })).toEqual([
      'items.1.quantity',
      'items.1.sku',
      'items.1.unitPriceCents',
      'items.2.quantity',
      'items.2.sku',
      'items.2.unitPriceCents',
      'items.3.quantity',
      'items.3.sku',
      'items.3.unitPriceCents',
    ]);
  });

  it('accepts the bounds themselves', () => {
    expect(badFields({ items: [{ sku: 'x'.repeat(64), quantity: 1_000, unitPriceCents: 10_000_000 }, { sku: 'F', quantity: 1, unitPriceCents: 0 }] })).toEqual([]);
  });

  it('rejects unknown fields by name, on the order and on its lines', () => {
    expect(problems({ items: [{ ...line, colour: 'red' }], coupon: 'FREE' })).toEqual([
      'body: unknown field(s): coupon',
      'items.0: unknown field(s): colour',
    ]);
  });

  it('rejects a line that is not an object', () => {
    expect(problems({ items: ['BOOK-1'] })).toEqual(['items.0: must be an object with sku, quantity and unitPriceCents']);
  });
});
