import { z } from 'zod';
import {
  baseConfigSchema,
  linkSecretIsRealInProduction,
  linkSecretSetting,
  loadConfig,
  readServiceManifest,
} from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** newsletter-service settings: the shared ones plus the secret its unsubscribe links are signed with. */
export const newsletterServiceConfigSchema = baseConfigSchema(manifest)
  .extend({
    /** Shared with email-service, which writes the links into its mails. */
    NEWSLETTER_LINK_SECRET: linkSecretSetting,
  })
  .refine(...linkSecretIsRealInProduction);

export type NewsletterServiceConfig = z.infer<typeof newsletterServiceConfigSchema>;

export function loadNewsletterServiceConfig(env: NodeJS.ProcessEnv = process.env): NewsletterServiceConfig {
  return loadConfig(newsletterServiceConfigSchema, env);
}
