import { z } from 'zod';
import { adminTokenSetting, httpUrlSetting, loadConfig, readAppManifest, runtimeConfigSchema } from '@eventshop/platform';

export const manifest = readAppManifest(new URL('../package.json', import.meta.url));

/**
 * The console's settings: the runtime ones (port, NATS) plus where the services, MailDev and
 * (optionally) Jaeger are. It owns no database, so it reads none of the database, JWT or outbox
 * settings. Defaults are the ports `npm start` gives everything.
 */
export const consoleConfigSchema = runtimeConfigSchema(manifest).extend({
  USER_SERVICE_URL: httpUrlSetting.default('http://127.0.0.1:3001'),
  EMAIL_SERVICE_URL: httpUrlSetting.default('http://127.0.0.1:3002'),
  NEWSLETTER_SERVICE_URL: httpUrlSetting.default('http://127.0.0.1:3003'),
  ORDER_SERVICE_URL: httpUrlSetting.default('http://127.0.0.1:3004'),
  READ_MODEL_SERVICE_URL: httpUrlSetting.default('http://127.0.0.1:3005'),
  /** MailDev's web server as the console reaches it (its REST API lists the caught mails). */
  MAILDEV_URL: httpUrlSetting.default('http://127.0.0.1:1080'),
  /** MailDev's web UI as the browser reaches it, for links; MAILDEV_URL when unset. */
  MAILDEV_PUBLIC_URL: httpUrlSetting.optional(),
  /** Jaeger's UI: with it, each event links to its trace; without it (the default), no links. */
  JAEGER_URL: httpUrlSetting.optional(),
  /** Guards replaying and discarding dead letters (`X-Admin-Token`); unset: those buttons are off. */
  ADMIN_TOKEN: adminTokenSetting,
});

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  return loadConfig(consoleConfigSchema, env);
}

/** A service the console watches and lets the user call: its name (= folder under apps/) and base URL. */
export interface WatchedService {
  readonly name: string;
  readonly url: string;
}

/** The services, in the order their lanes are shown (the order an event travels through them). */
export function watchedServices(config: ConsoleConfig): WatchedService[] {
  return [
    { name: 'user-service', url: config.USER_SERVICE_URL },
    { name: 'email-service', url: config.EMAIL_SERVICE_URL },
    { name: 'newsletter-service', url: config.NEWSLETTER_SERVICE_URL },
    { name: 'order-service', url: config.ORDER_SERVICE_URL },
    { name: 'read-model-service', url: config.READ_MODEL_SERVICE_URL },
  ];
}

/** Injection token of the loaded ConsoleConfig. */
export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
