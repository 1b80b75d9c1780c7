import { describe, expect, it } from '@jest/globals';
import { correlation } from './correlation.middleware.js';
import { messageContext, type MessageContext } from '../context/message-context.js';
import { installTracePropagation } from '../context/tracing.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';

describe('correlation middleware', () => {
  installTracePropagation();
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('keeps the correlation id, makes the message the cause and carries the trace context', async () => {
    let seen: MessageContext | undefined;
    const message = fakeReceivedMessage({ headers: { 'Correlation-Id': 'corr-42', traceparent } });
    await correlation(async () => {
      seen = messageContext.current();
    })(message);
    expect(seen).toEqual({ correlationId: 'corr-42', causationId: message.id, trace: { traceparent } });
  });

  it('starts a fresh correlation id when the message has none (or a bogus one)', async () => {
    const ids: string[] = [];
    const handler = correlation(async () => {
      ids.push(messageContext.current()!.correlationId);
    });
    await handler(fakeReceivedMessage());
    await handler(fakeReceivedMessage({ headers: { 'Correlation-Id': 'bad value with spaces' } }));
    expect(ids).toHaveLength(2);
    ids.forEach((id) => expect(id).toMatch(/^[0-9a-f-]{36}$/));
  });
});
