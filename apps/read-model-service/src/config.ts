import { z } from 'zod';
import { adminTokenSetting, baseConfigSchema, loadConfig, readServiceManifest } from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** read-model-service settings: the shared ones plus the token that guards the admin endpoints. */
export const readModelServiceConfigSchema = baseConfigSchema(manifest).extend({
  /** The shared secret for `POST /admin/rebuild` (sent as `X-Admin-Token`); unset: switched off. */
  ADMIN_TOKEN: adminTokenSetting,
});

export type ReadModelServiceConfig = z.infer<typeof readModelServiceConfigSchema>;

export function loadReadModelServiceConfig(env: NodeJS.ProcessEnv = process.env): ReadModelServiceConfig {
  return loadConfig(readModelServiceConfigSchema, env);
}
