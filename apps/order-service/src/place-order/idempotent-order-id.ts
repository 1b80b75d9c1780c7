import { createHash } from 'node:crypto';

/**
 * The id of the order a customer places with an idempotency key: the same for the same customer and
 * key, so a retried request appends to the same stream, and the event store's one-writer-per-version
 * rule stores it once. A UUID of version 8 (RFC 9562's "custom"), from a SHA-256 of both.
 */
export function idempotentOrderId(userId: string, idempotencyKey: string): string {
  const bytes = createHash('sha256').update(`eventshop order\u0000${userId}\u0000${idempotencyKey}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
