import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { idempotentOrderId } from './idempotent-order-id.js';

describe('idempotentOrderId', () => {
  it('is a UUID (version 8), the same for the same customer and key', () => {
    const id = idempotentOrderId('5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10', 'key-1');
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(id[14]).toBe('8');
    expect(idempotentOrderId('5f0c6a52-8c0e-4a53-9a43-3f3c1e7b9a10', 'key-1')).toBe(id);
  });

  it('differs for another customer with the same key, and for another key', () => {
    const id = idempotentOrderId('user-a', 'key-1');
    expect(idempotentOrderId('user-b', 'key-1')).not.toBe(id);
    expect(idempotentOrderId('user-a', 'key-2')).not.toBe(id);
    // No gluing: ("ab", "c") and ("a", "bc") are different pairs.
    expect(idempotentOrderId('ab', 'c')).not.toBe(idempotentOrderId('a', 'bc'));
  });
});
