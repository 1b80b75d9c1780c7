import type { ServiceApi } from '@eventshop/platform';
import { manifest } from './config.js';

/**
 * email-service's HTTP API, for its OpenAPI document (`/docs`): only the platform's operational
 * routes (health, metrics, docs). Its work arrives as events; see the AsyncAPI document.
 */
export const emailServiceApi: ServiceApi = {
  service: manifest.name,
  version: manifest.version,
  description:
    'Sends the shop’s emails (welcome, order confirmation, cancellation notice) from events; publishes `WelcomeEmailSent`. Its HTTP API is operational only; its event API is in docs/asyncapi.yaml.',
  routes: [],
};
