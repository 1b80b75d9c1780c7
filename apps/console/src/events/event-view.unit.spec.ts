import { describe, expect, it } from '@jest/globals';
import { toEventView, traceIdOf } from './event-view.js';
import { REDACTED, redact } from './redaction.js';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const storedAt = new Date('2026-01-02T03:04:05.000Z');

describe('toEventView', () => {
  it('reads the envelope: type, version, source, aggregate, correlation, time, and the trace id', () => {
    const view = toEventView({
      sequence: 7,
      subject: 'events.user.user-signed-up.v1',
      headers: { 'Nats-Msg-Id': 'e-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      payload: encode({
        id: 'e-1',
        type: 'UserSignedUp',
        version: 1,
        source: 'user-service',
        aggregateId: 'u-1',
        correlationId: 'c-1',
        causationId: null,
        occurredAt: '2026-01-02T03:04:04.000Z',
        data: { email: 'a@example.com' },
      }),
      storedAt,
    });
    expect(view).toMatchObject({
      sequence: 7,
      id: 'e-1',
      type: 'UserSignedUp',
      version: 1,
      source: 'user-service',
      aggregateId: 'u-1',
      correlationId: 'c-1',
      causationId: '',
      occurredAt: '2026-01-02T03:04:04.000Z',
      storedAt: '2026-01-02T03:04:05.000Z',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      malformed: null,
    });
  });

  it('shows a poison message from its headers, says what is wrong, and never shows a secret', () => {
    const view = toEventView({
      sequence: 8,
      subject: 'events.user.user-signed-up.v1',
      headers: { 'Event-Type': 'UserSignedUp', 'Event-Version': '1', 'Correlation-Id': 'c-2', Authorization: 'Bearer abc' },
      payload: encode('{not json'),
      storedAt,
    });
    expect(view).toMatchObject({ type: 'UserSignedUp', version: 1, correlationId: 'c-2', malformed: 'the payload is not valid JSON', envelope: '{not json' });
    expect(view.headers.Authorization).toBe(REDACTED);

    const withSecret = toEventView({ sequence: 9, subject: 's', headers: {}, payload: encode({ type: 'X', data: { apiKey: 'k', nested: [{ passwordHash: 'h' }] } }), storedAt });
    expect(JSON.stringify(withSecret.envelope)).not.toMatch(/"k"|"h"/);
    expect(withSecret.envelope).toEqual({ type: 'X', data: { apiKey: REDACTED, nested: [{ passwordHash: REDACTED }] } });
    expect(toEventView({ sequence: 10, subject: 's', headers: {}, payload: encode([1]), storedAt }).malformed).toMatch(/not an event envelope/);
  });
});

describe('traceIdOf', () => {
  it.each([
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '0af7651916cd43dd8448eb211c80319c'],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', null],
    ['garbage', null],
    [undefined, null],
  ])('%p → %p', (traceparent, expected) => {
    expect(traceIdOf(traceparent)).toBe(expected);
  });
});

describe('redact', () => {
  it('keeps what is not secret-named, including non-objects', () => {
    expect(redact({ email: 'a@example.com', name: 'Ann', items: [1, 'two'] })).toEqual({ email: 'a@example.com', name: 'Ann', items: [1, 'two'] });
    expect(redact('text')).toBe('text');
    expect(redact({ token: { deep: 'x' } })).toEqual({ token: REDACTED });
  });
});
