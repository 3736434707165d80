import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/novation');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.api.port).toBe(3000);
    expect(config.environmentName).toBe('development');
  });

  it('names every malformed variable in one error', () => {
    const attempt = () => loadConfig({ API_PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
      expect(variables).toEqual(['API_PORT', 'DATABASE_URL', 'LOG_LEVEL']);
      expect((error as Error).message).toMatch(/API_PORT/);
    }
  });

  it('refuses any time zone but UTC', () => {
    expect(() => loadConfig({ TZ: 'Europe/London' })).toThrow(/TZ: must be UTC/);
  });

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig({ ADMIN_PORT: '70000' })).toThrow(/ADMIN_PORT/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('parses booleans strictly', () => {
    expect(loadConfig({ RUN_MIGRATIONS_AT_START: 'false' }).database.runMigrationsAtStart).toBe(false);
    expect(() => loadConfig({ RUN_MIGRATIONS_AT_START: 'maybe' })).toThrow(/RUN_MIGRATIONS_AT_START/);
  });

  it('configures admin tokens with development defaults and refuses the default secret in production', () => {
    const config = loadConfig({});
    expect(config.adminToken).toMatchObject({ issuer: 'novation', audience: 'novation-admin', ttlMaxSeconds: 43_200 });
    expect(config.adminToken.secret.length).toBeGreaterThanOrEqual(32);
    expect(() => loadConfig({ NOVATION_ENV: 'production' })).toThrow(/ADMIN_TOKEN_SECRET/);
    const secret = 'a-production-secret-of-at-least-32-characters';
    expect(loadConfig({ NOVATION_ENV: 'production', ADMIN_TOKEN_SECRET: secret }).adminToken.secret).toBe(secret);
  });

  it('bounds admin token secrets and lifetimes', () => {
    expect(() => loadConfig({ ADMIN_TOKEN_SECRET: 'short' })).toThrow(/ADMIN_TOKEN_SECRET/);
    expect(() => loadConfig({ ADMIN_TOKEN_TTL_MAX_SECONDS: '86400' })).toThrow(/ADMIN_TOKEN_TTL_MAX_SECONDS/);
    expect(() => loadConfig({ ADMIN_TOKEN_AUDIENCE: 'has space' })).toThrow(/ADMIN_TOKEN_AUDIENCE/);
  });
});
