import { describe, expect, it } from '@jest/globals';
import { baseConfigSchema, ConfigError, databaseUrl, loadConfig } from './config.js';

const schema = baseConfigSchema({ port: 3001, database: 'user_service' });

describe('loadConfig', () => {
  it('gives working local defaults for an empty environment', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({
      PORT: 3001,
      DATABASE_NAME: 'user_service',
      POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432',
      NATS_URL: 'nats://127.0.0.1:4222',
      LOG_LEVEL: 'info',
    });
    expect(databaseUrl(config)).toBe('postgres://postgres@127.0.0.1:5432/user_service');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(schema, { PORT: '' }).PORT).toBe(3001);
  });

  it('reports every bad variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: 'eighty', LOG_LEVEL: 'loud', POSTGRES_URL: 'mysql://x', DATABASE_NAME: 'Bad-Name' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'LOG_LEVEL', 'POSTGRES_URL', 'DATABASE_NAME']) expect(problems).toContain(name);
  });
});
