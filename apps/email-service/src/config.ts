import { z } from 'zod';
import {
  baseConfigSchema,
  booleanFlag,
  linkSecretIsRealInProduction,
  linkSecretSetting,
  loadConfig,
  readServiceManifest,
} from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** email-service settings: the shared ones plus the SMTP server, sender and newsletter links. */
export const emailServiceConfigSchema = baseConfigSchema(manifest)
  .extend({
    SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
    SMTP_SECURE: booleanFlag.default(false),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    MAIL_FROM: z.string().min(3).default('eventshop <no-reply@eventshop.local>'),
    /**
     * How long connecting, the server's greeting and any silence on the socket may each last before
     * a send fails; a send slower than this counts against the SMTP circuit breaker.
     */
    SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
    /** How long the SMTP circuit breaker stays open before a probe send is allowed. */
    SMTP_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** Public address of newsletter-service, for the unsubscribe link in the welcome email. */
    NEWSLETTER_PUBLIC_URL: z.url().default('http://localhost:3003'),
    NEWSLETTER_LINK_SECRET: linkSecretSetting,
  })
  .refine(...linkSecretIsRealInProduction);

export type EmailServiceConfig = z.infer<typeof emailServiceConfigSchema>;

export function loadEmailServiceConfig(env: NodeJS.ProcessEnv = process.env): EmailServiceConfig {
  return loadConfig(emailServiceConfigSchema, env);
}
