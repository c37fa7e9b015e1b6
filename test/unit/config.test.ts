import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, envNames, loadConfig } from '../../src/config/config.loader.ts';

const secrets = { IDP_SECRETS_COOKIE_KEYS: '["0123456789abcdef0123456789abcdef"]', IDP_SECRETS_KEY_ENCRYPTION_KEY: 'k'.repeat(40) };

describe('configuration', () => {
  test('every key has an IDP_ variable derived from its path', () => {
    const names = new Map(envNames());
    expect(names.get('ttl.accessToken')).toBe('IDP_TTL_ACCESS_TOKEN');
    expect(names.get('rateLimits.loginPerIp.points')).toBe('IDP_RATE_LIMITS_LOGIN_PER_IP_POINTS');
    expect(names.get('mongodb.serverSelectionTimeoutMS')).toBe('IDP_MONGODB_SERVER_SELECTION_TIMEOUT_MS');
  });

  test('precedence: defaults < <env>.json < IDP_CONFIG file < IDP_* < contract variables', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'idp-config-'));
    writeFileSync(path.join(dir, 'default.json'), JSON.stringify({ ttl: { accessToken: 100, idToken: 100 }, port: 1 }));
    writeFileSync(path.join(dir, 'test.json'), JSON.stringify({ ttl: { idToken: 200 } }));
    const extra = path.join(dir, 'extra.json');
    writeFileSync(extra, JSON.stringify({ ttl: { session: 300 } }));
    const config = loadConfig({
      configDir: dir,
      env: { ...secrets, NODE_ENV: 'test', IDP_CONFIG: extra, IDP_TTL_ACCESS_TOKEN: '400', IDP_PORT: '5', PORT: '6' },
    });
    expect(config.ttl).toMatchObject({ accessToken: 400, idToken: 200, session: 300 });
    expect(config.port).toBe(6);
    expect(config.issuer).toBe('http://localhost:6');
    expect(Object.isFrozen(config.ttl)).toBe(true);
  });

  test('every problem is listed at once, naming key and source', () => {
    const run = () => loadConfig({ configDir: '/nonexistent', env: { ...secrets, NODE_ENV: 'test', IDP_PASSWORDS_MIN_LENGTH: '3', IDP_LOG_LEVEL: 'loud' } });
    expect(run).toThrow(ConfigError);
    try {
      run();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(2);
      expect(problems.join('\n')).toMatch(/passwords\.minLength.*IDP_PASSWORDS_MIN_LENGTH/);
      expect(problems.join('\n')).toMatch(/log\.level.*IDP_LOG_LEVEL/);
    }
  });

  test('a missing IDP_CONFIG file is an error, not silently ignored', () => {
    expect(() => loadConfig({ configDir: '/nonexistent', env: { ...secrets, NODE_ENV: 'test', IDP_CONFIG: '/nope.json' } })).toThrow(/IDP_CONFIG: file not found/);
  });
});
