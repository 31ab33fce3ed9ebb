import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has a default for everything, so a laptop needs no variable at all', () => {
    const c = parseConfig({});
    expect(c.PORT).toBe(4000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.examples).toBe(true);
    expect(c.production).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once', () => {
    try {
      parseConfig({
        PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        AMQP_URL: 'http://x',
        JWT_SECRET: 'short',
        LOG_LEVEL: 'loud',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'AMQP_URL', 'JWT_SECRET', 'LOG_LEVEL'])
        expect(problems).toContain(name);
    }
  });

  it('refuses production without a JWT key, and turns the examples off there', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL/,
    );
    const c = parseConfig({
      NODE_ENV: 'production',
      JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
    });
    expect(c.examples).toBe(false);
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(4000);
  });
});
