import { z } from 'zod';
import { baseConfigSchema, booleanFlag, loadConfig, readServiceManifest } from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** email-service settings: the shared ones plus the SMTP server and sender. */
export const emailServiceConfigSchema = baseConfigSchema(manifest).extend({
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
  SMTP_SECURE: booleanFlag.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().min(3).default('eventshop <no-reply@eventshop.local>'),
});

export type EmailServiceConfig = z.infer<typeof emailServiceConfigSchema>;

export function loadEmailServiceConfig(env: NodeJS.ProcessEnv = process.env): EmailServiceConfig {
  return loadConfig(emailServiceConfigSchema, env);
}
