import { z } from 'zod';
import { baseConfigSchema, loadConfig, readServiceManifest } from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** read-model-service settings: the shared ones plus the token that guards the admin endpoints. */
export const readModelServiceConfigSchema = baseConfigSchema(manifest).extend({
  /**
   * The shared secret for `POST /admin/rebuild` (sent as `X-Admin-Token`). Unset: the admin
   * endpoints are switched off. Long enough that guessing it is hopeless.
   */
  ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
});

export type ReadModelServiceConfig = z.infer<typeof readModelServiceConfigSchema>;

export function loadReadModelServiceConfig(env: NodeJS.ProcessEnv = process.env): ReadModelServiceConfig {
  return loadConfig(readModelServiceConfigSchema, env);
}
