import type { z } from 'zod';
import { baseConfigSchema, loadConfig, readServiceManifest } from '@eventshop/platform';

export const manifest = readServiceManifest(new URL('../package.json', import.meta.url));

/** order-service settings: the shared ones only (port and database default from package.json). */
export const orderServiceConfigSchema = baseConfigSchema(manifest);

export type OrderServiceConfig = z.infer<typeof orderServiceConfigSchema>;

export function loadOrderServiceConfig(env: NodeJS.ProcessEnv = process.env): OrderServiceConfig {
  return loadConfig(orderServiceConfigSchema, env);
}
