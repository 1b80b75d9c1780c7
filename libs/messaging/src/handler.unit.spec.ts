import { describe, expect, it } from '@jest/globals';
import { withMiddleware, type Middleware } from './handler.js';
import { fakeReceivedMessage } from './testing/fake-message.js';

describe('withMiddleware', () => {
  it('runs the first middleware outermost', async () => {
    const trail: string[] = [];
    const tag =
      (name: string): Middleware =>
      (next) =>
      async (message) => {
        trail.push(`${name}>`);
        const outcome = await next(message);
        trail.push(`<${name}`);
        return outcome;
      };
    await withMiddleware(async () => void trail.push('handler'), tag('a'), tag('b'))(fakeReceivedMessage());
    expect(trail).toEqual(['a>', 'b>', 'handler', '<b', '<a']);
  });
});
