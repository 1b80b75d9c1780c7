import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Signs and checks the parameters of a link a service puts in an email (e.g. "unsubscribe"), so
 * that following the link proves it came from us without the reader being signed in. HMAC-SHA256
 * over the purpose and the subject id, with a secret shared by the service that writes the link and
 * the one that serves it. The signature is not a token: it grants exactly one action on one id.
 */
export class LinkSigner {
  constructor(private readonly secret: string) {
    if (secret.length < 16) throw new Error('link signing secret must be at least 16 characters');
  }

  sign(purpose: string, subjectId: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}\n${subjectId}`).digest('base64url');
  }

  verify(purpose: string, subjectId: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(purpose, subjectId));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export const UNSUBSCRIBE_PURPOSE = 'newsletter-unsubscribe';

/** Where newsletter-service serves the unsubscribe link that email-service writes. */
export const UNSUBSCRIBE_PATH = '/subscriptions/unsubscribe';

/**
 * The development default of `NEWSLETTER_LINK_SECRET`, shared by the service that signs links
 * (email) and the one that checks them (newsletter) so a local run needs no setup. Production
 * refuses it (`linkSecretIsRealInProduction`).
 */
export const DEV_LINK_SECRET = 'dev-only-newsletter-link-secret';

/** The `NEWSLETTER_LINK_SECRET` setting, the same in every service that signs or checks links. */
export const linkSecretSetting = z.string().min(16).default(DEV_LINK_SECRET);

/** A config refinement, `.refine(...linkSecretIsRealInProduction)`: production needs a real secret. */
export const linkSecretIsRealInProduction: [
  check: (config: { NODE_ENV: string; NEWSLETTER_LINK_SECRET: string }) => boolean,
  issue: { path: string[]; message: string },
] = [
  (config) => config.NODE_ENV !== 'production' || config.NEWSLETTER_LINK_SECRET !== DEV_LINK_SECRET,
  { path: ['NEWSLETTER_LINK_SECRET'], message: 'must be set to a real secret in production' },
];
