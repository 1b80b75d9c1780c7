import { describe, expect, it } from '@jest/globals';
import { HandlerPanicError, recoverer } from './recoverer.middleware.js';
import { fakeReceivedMessage } from '../testing/fake-message.js';

describe('recoverer middleware', () => {
  it.each([['a string'], [{ code: 42 }], [undefined], [null]])('turns a thrown %p into an Error', async (thrown) => {
    const handler = recoverer(async () => {
      throw thrown;
    });
    const error = await handler(fakeReceivedMessage()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerPanicError);
    expect((error as HandlerPanicError).thrown).toBe(thrown);
  });

  it('catches a synchronous throw too', async () => {
    const handler = recoverer((() => {
      throw 'sync';
    }) as never);
    await expect(handler(fakeReceivedMessage())).rejects.toBeInstanceOf(HandlerPanicError);
  });

  it('keeps real Errors as they are', async () => {
    const original = new RangeError('x');
    const handler = recoverer(async () => {
      throw original;
    });
    await expect(handler(fakeReceivedMessage())).rejects.toBe(original);
  });
});
