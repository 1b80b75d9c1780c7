import { z } from 'zod';
import {
  baseConfigSchema,
  DEV_LINK_SECRET,
  isDevLinkSecretInProduction,
  loadConfig,
  readServiceManifest,
} from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** newsletter-service settings: the shared ones plus the secret its unsubscribe links are signed with. */
export const newsletterServiceConfigSchema = baseConfigSchema(manifest)
  .extend({
    /** Shared with email-service, which writes the links into its mails. */
    NEWSLETTER_LINK_SECRET: z.string().min(16).default(DEV_LINK_SECRET),
  })
  .refine((config) => !isDevLinkSecretInProduction(config), {
    path: ['NEWSLETTER_LINK_SECRET'],
    message: 'must be set to a real secret in production',
  });

export type NewsletterServiceConfig = z.infer<typeof newsletterServiceConfigSchema>;

export function loadNewsletterServiceConfig(env: NodeJS.ProcessEnv = process.env): NewsletterServiceConfig {
  return loadConfig(newsletterServiceConfigSchema, env);
}
