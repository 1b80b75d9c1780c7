import { describe, expect, it } from '@jest/globals';
import { LinkSigner, UNSUBSCRIBE_PURPOSE } from './signed-link.js';

describe('LinkSigner', () => {
  const signer = new LinkSigner('a-secret-of-enough-length');

  it('verifies its own signature for the same purpose and id', () => {
    expect(signer.verify(UNSUBSCRIBE_PURPOSE, 'user-1', signer.sign(UNSUBSCRIBE_PURPOSE, 'user-1'))).toBe(true);
  });

  it.each([
    ['another id', UNSUBSCRIBE_PURPOSE, 'user-2'],
    ['another purpose', 'delete-account', 'user-1'],
  ])('rejects the signature for %s', (_, purpose, id) => {
    expect(signer.verify(purpose, id, signer.sign(UNSUBSCRIBE_PURPOSE, 'user-1'))).toBe(false);
  });

  it('rejects a signature made with another secret, and garbage', () => {
    const other = new LinkSigner('another-secret-of-enough-length');
    expect(signer.verify(UNSUBSCRIBE_PURPOSE, 'user-1', other.sign(UNSUBSCRIBE_PURPOSE, 'user-1'))).toBe(false);
    expect(signer.verify(UNSUBSCRIBE_PURPOSE, 'user-1', 'x')).toBe(false);
  });

  it('refuses a short secret', () => {
    expect(() => new LinkSigner('short')).toThrow(/16 characters/);
  });
});
