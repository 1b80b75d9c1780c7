import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ContractViolationError, defineEvent, subjectFor } from './define-event.js';
import { UserSignedUpV1 } from '../user/user-signed-up.v1.js';

const meta = { correlationId: 'corr-1', source: 'user-service', aggregateId: 'agg-1' };

describe('defineEvent', () => {
  it('derives the subject from context, name and version', () => {
    expect(subjectFor('user', 'UserSignedUp', 1)).toBe('events.user.user-signed-up.v1');
    expect(UserSignedUpV1.subject).toBe('events.user.user-signed-up.v1');
  });

  it('creates a complete envelope and validates the payload', () => {
    const event = UserSignedUpV1.create(
      {
        userId: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10',
        email: 'ann@example.com',
        name: 'Ann',
        newsletterOptIn: true,
        occurredAt: new Date().toISOString(),
      },
      meta,
    );
    expect(event).toMatchObject({ type: 'UserSignedUp', version: 1, correlationId: 'corr-1', causationId: null });
    expect(UserSignedUpV1.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses to create an event whose payload breaks the contract', () => {
    expect(() => UserSignedUpV1.create({ userId: 'nope' } as never, meta)).toThrow();
  });

  it('rejects secrets: the payload schema is strict, so a password hash cannot ride along', () => {
    const result = UserSignedUpV1.safeParse({
      ...UserSignedUpV1.create(
        {
          userId: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10',
          email: 'ann@example.com',
          name: 'Ann',
          newsletterOptIn: false,
          occurredAt: new Date().toISOString(),
        },
        meta,
      ),
      data: {
        userId: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10',
        email: 'ann@example.com',
        name: 'Ann',
        newsletterOptIn: false,
        occurredAt: new Date().toISOString(),
        passwordHash: '$2b$10$abc',
      },
    });
    expect(result.success).toBe(false);
    if (!result.success) expect(result.issues.join()).toMatch(/passwordHash/);
  });

  it('names every violated field, and parse throws a permanent ContractViolationError', () => {
    const Ping = defineEvent({ name: 'Pinged', version: 2, context: 'test', schema: z.object({ n: z.number() }) });
    const bad = { ...Ping.create({ n: 1 }, meta), version: 1, data: { n: 'x' } };
    const result = Ping.safeParse(bad);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.issues.some((issue) => issue.startsWith('version'))).toBe(true);
      expect(result.issues.some((issue) => issue.startsWith('data.n'))).toBe(true);
    }
    let thrown: unknown;
    try {
      Ping.parse(bad);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractViolationError);
    expect((thrown as ContractViolationError).permanent).toBe(true);
  });
});
