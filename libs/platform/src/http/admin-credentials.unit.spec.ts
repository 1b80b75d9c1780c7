import { describe, expect, it } from '@jest/globals';
import { AdminCredentials } from './admin-credentials.js';

const token = 'an-admin-token-of-at-least-32-characters';

describe('AdminCredentials', () => {
  it('accepts exactly the configured token', () => {
    const credentials = new AdminCredentials(token);
    expect(credentials.enabled).toBe(true);
    expect(credentials.accepts(token)).toBe(true);
    expect(credentials.accepts(`${token}x`)).toBe(false);
    expect(credentials.accepts(token.slice(0, -1))).toBe(false);
    expect(credentials.accepts('')).toBe(false);
    expect(credentials.accepts(undefined)).toBe(false);
  });

  it('accepts nothing, not even an empty token, when no token is configured', () => {
    const credentials = new AdminCredentials(undefined);
    expect(credentials.enabled).toBe(false);
    expect(credentials.accepts('')).toBe(false);
    expect(credentials.accepts(token)).toBe(false);
  });
});
