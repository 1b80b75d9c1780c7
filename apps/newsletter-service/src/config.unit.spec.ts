import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@eventshop/platform';
import { DEV_LINK_SECRET } from '@eventshop/platform';
import { loadNewsletterServiceConfig } from './config.js';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadNewsletterServiceConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('newsletter-service config', () => {
  it('runs locally without setup: its manifest port and database, the development link secret', () => {
    expect(loadNewsletterServiceConfig({})).toMatchObject({
      PORT: 3003,
      DATABASE_NAME: 'newsletter_service',
      NEWSLETTER_LINK_SECRET: DEV_LINK_SECRET,
    });
  });

  it('refuses the development link secret in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^NEWSLETTER_LINK_SECRET: .*production/)]);
    expect(problemsOf({ NODE_ENV: 'production', NEWSLETTER_LINK_SECRET: 'a-real-secret-of-enough-length' })).toEqual([]);
  });

  it('refuses a link secret shorter than 16 characters', () => {
    expect(problemsOf({ NEWSLETTER_LINK_SECRET: 'too-short' })).toEqual([expect.stringMatching(/^NEWSLETTER_LINK_SECRET: /)]);
  });
});
