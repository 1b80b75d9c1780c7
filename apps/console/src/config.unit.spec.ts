import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@eventshop/platform';
import { loadConsoleConfig, watchedServices } from './config.js';

describe('console config', () => {
  it('works locally with no settings: port 3000, the services on their npm start ports, no Jaeger, admin off', () => {
    const config = loadConsoleConfig({});
    expect(config).toMatchObject({ PORT: 3000, USER_SERVICE_URL: 'http://127.0.0.1:3001', MAILDEV_URL: 'http://127.0.0.1:1080' });
    expect(config.JAEGER_URL).toBeUndefined();
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(watchedServices(config).map((service) => service.name)).toEqual([
      'user-service',
      'email-service',
      'newsletter-service',
      'order-service',
      'read-model-service',
    ]);
  });

  it('drops a trailing slash, and names every bad variable at once', () => {
    expect(loadConsoleConfig({ JAEGER_URL: 'http://jaeger:16686/' }).JAEGER_URL).toBe('http://jaeger:16686');
    expect(() => loadConsoleConfig({ USER_SERVICE_URL: 'nope', ADMIN_TOKEN: 'short', MAILDEV_URL: 'ftp://x' })).toThrow(ConfigError);
    try {
      loadConsoleConfig({ USER_SERVICE_URL: 'nope', ADMIN_TOKEN: 'short', MAILDEV_URL: 'ftp://x' });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ADMIN_TOKEN', 'MAILDEV_URL', 'USER_SERVICE_URL']);
    }
  });
});
