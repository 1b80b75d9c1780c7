import { z } from 'zod';
import { baseConfigSchema, loadConfig, readServiceManifest } from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** user-service settings: the shared ones plus signing keys, token lifetime and bcrypt cost. */
export const userServiceConfigSchema = baseConfigSchema(manifest).extend({
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().min(1).default('.dev-keys/jwt-private.pem'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  // 4 is bcrypt's floor (tests); 10 is the default; above 15 a login takes seconds.
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
  // Login and sign-up budgets (per window): a guesser gets a few tries per account, a client a few dozen.
  AUTH_RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  AUTH_RATE_LIMIT_PER_CLIENT: z.coerce.number().int().min(1).default(60),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  // Account deletion: ask silent participants again every minute; a day without all answers is stuck.
  ACCOUNT_DELETION_RETRY_AFTER_MS: z.coerce.number().int().min(100).default(60_000),
  ACCOUNT_DELETION_DEADLINE_MS: z.coerce.number().int().min(100).default(86_400_000),
  ACCOUNT_DELETION_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(5_000),
});

export type UserServiceConfig = z.infer<typeof userServiceConfigSchema>;

export function loadUserServiceConfig(env: NodeJS.ProcessEnv = process.env): UserServiceConfig {
  return loadConfig(userServiceConfigSchema, env);
}
