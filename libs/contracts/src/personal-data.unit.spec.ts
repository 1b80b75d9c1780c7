import { describe, expect, it } from '@jest/globals';
import { eventCatalogue } from './catalogue.js';
import { personalFieldsOf } from './personal-data.js';
import { UserSignedUpV1 } from './user/user-signed-up.v1.js';
import { upcastUserSignedUp, UserSignedUpV2 } from './user/user-signed-up.v2.js';
import { PersonalDataReply } from './user/personal-data.query.js';

const meta = { correlationId: 'corr-1', source: 'user-service', aggregateId: '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10' };
const userId = '7f1c8d1e-4a8e-4b39-9d59-2f0b5e3f9a10';

describe('personal data in the contracts', () => {
  it('marks the email and the name of UserSignedUp v1 personal, and nothing else', () => {
    expect(personalFieldsOf(UserSignedUpV1.schema)).toEqual(['email', 'name']);
  });

  it('lets no event but the legacy UserSignedUp v1 carry a personal field: the stream is kept forever', () => {
    const carrying = eventCatalogue
      .filter(({ contract }) => personalFieldsOf(contract.schema).length > 0)
      .map(({ contract }) => `${contract.name}.v${contract.version}`);
    expect(carrying).toEqual(['UserSignedUp.v1']);
  });

  it('the reply of the personal-data query marks what it carries', () => {
    const [found] = PersonalDataReply.options;
    expect(personalFieldsOf(found)).toEqual(['email', 'name']);
  });

  it('upcasts a v1 sign-up to v2 without its personal fields, and leaves a v2 one as it is', () => {
    const v1 = UserSignedUpV1.create({ userId, email: 'ann@example.com', name: 'Ann', newsletterOptIn: true, occurredAt: '2026-01-01T00:00:00.000Z' }, meta);
    const upcast = upcastUserSignedUp(v1);
    expect(UserSignedUpV2.parse(upcast)).toEqual({ ...v1, version: 2, data: { userId, newsletterOptIn: true, occurredAt: '2026-01-01T00:00:00.000Z' } });
    expect(JSON.stringify(upcast)).not.toMatch(/ann@example\.com|"Ann"/);
    const v2 = UserSignedUpV2.create({ userId, newsletterOptIn: false, occurredAt: '2026-01-01T00:00:00.000Z' }, meta);
    expect(upcastUserSignedUp(v2)).toBe(v2);
  });
});
