import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { baseConfigSchema, ConfigError, databaseUrl, loadConfig, postgresServerUrl } from './config.js';

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

describe('the PostgreSQL password from POSTGRES_PASSWORD_FILE', () => {
  const withFile = (content: string, check: (file: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
    try {
      const file = join(dir, 'password');
      writeFileSync(file, content);
      check(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("goes into the URL of the service's role, encoded (a trailing newline dropped)", () => {
    withFile('p@ss/w%rd\n', (file) => {
      const config = { POSTGRES_URL: 'postgres://order_service@postgres:5432', POSTGRES_PASSWORD_FILE: file, DATABASE_NAME: 'order_service' };
      expect(databaseUrl(config)).toBe('postgres://order_service:p%40ss%2Fw%25rd@postgres:5432/order_service');
      expect(decodeURIComponent(new URL(postgresServerUrl(config)).password)).toBe('p@ss/w%rd');
    });
  });

  it('is refused when missing, empty, or when the URL has a password too', () => {
    expect(() => postgresServerUrl({ POSTGRES_URL: 'postgres://a@h:5432', POSTGRES_PASSWORD_FILE: '/nonexistent/password' })).toThrow(/cannot read \/nonexistent\/password/);
    withFile('', (file) => expect(() => postgresServerUrl({ POSTGRES_URL: 'postgres://a@h:5432', POSTGRES_PASSWORD_FILE: file })).toThrow(ConfigError));
    withFile('x', (file) => expect(() => postgresServerUrl({ POSTGRES_URL: 'postgres://a:b@h:5432', POSTGRES_PASSWORD_FILE: file })).toThrow(/one place only/));
  });

  it('leaves POSTGRES_URL as it is when unset', () => {
    expect(postgresServerUrl({ POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432' })).toBe('postgres://postgres@127.0.0.1:5432');
  });
});
