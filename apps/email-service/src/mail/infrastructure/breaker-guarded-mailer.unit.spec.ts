import { afterEach, describe, expect, it } from '@jest/globals';
import type { DependencyBreaker } from '@eventshop/messaging';
import { createSmtpBreaker, isRefusedBySmtp } from './breaker-guarded-mailer.js';

const refused = (responseCode: number) => Object.assign(new Error(`${responseCode} refused`), { responseCode });
const connectionRefused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1025'), { code: 'ESOCKET' }));

describe('the SMTP breaker', () => {
  let opened: DependencyBreaker | undefined;
  afterEach(() => opened?.shutdown());

  it('treats a 5xx reply as the message being refused, anything else as the server failing', () => {
    expect([550, 553, 554].map((code) => isRefusedBySmtp(refused(code)))).toEqual([true, true, true]);
    expect([421, 450].map((code) => isRefusedBySmtp(refused(code)))).toEqual([false, false]);
    expect(isRefusedBySmtp(new Error('Greeting never received'))).toBe(false);
  });

  it('opens after three failed sends in a row, sent one at a time', async () => {
    const breaker = createSmtpBreaker({ timeoutMs: 1_000, resetTimeoutMs: 60_000 });
    opened = breaker;
    for (let i = 0; i < 2; i++) await breaker.fire(connectionRefused).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await breaker.fire(connectionRefused).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('does not count refused messages against the server, nor blame it for them', async () => {
    const breaker = createSmtpBreaker({ timeoutMs: 1_000, resetTimeoutMs: 60_000 });
    opened = breaker;
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++) await breaker.fire(() => Promise.reject(refused(550))).catch((error: unknown) => errors.push(error));
    expect(breaker.state).toBe('closed');
    expect(errors.some((error) => breaker.isDependencyFailure(error))).toBe(false);
  });
});
