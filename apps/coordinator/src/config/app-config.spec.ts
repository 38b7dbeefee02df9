import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config';

const cwd = '/srv/fedaln';

describe('loadConfig', () => {
  it('defaults: PGlite under ./data/coordinator, port 8080, info, generated admin token', () => {
    const c = loadConfig({}, {}, cwd);
    expect(c.dataDir).toBe('/srv/fedaln/data/coordinator');
    expect(c.database).toEqual({ kind: 'pglite', dataDir: '/srv/fedaln/data/coordinator/pg' });
    expect(c.blobDir).toBe('/srv/fedaln/data/coordinator/blobs');
    expect(c.port).toBe(8080);
    expect(c.logLevel).toBe('info');
    expect(c.adminToken).toBeUndefined();
    expect(c.trustedProxies).toEqual([]);
  });

  it('reads the environment and lets flags win', () => {
    const env = Object.freeze({
      FEDALN_DATA_DIR: '/var/lib/fedaln',
      PORT: '9000',
      DATABASE_URL: 'postgres://fedaln@db:5432/fedaln',
      FEDALN_ADMIN_TOKEN: 'a'.repeat(32),
      LOG_LEVEL: 'debug',
      FEDALN_TRUSTED_PROXIES: '10.0.0.2, ::1',
    });
    const c = loadConfig(env, { port: '9100', dataDir: 'other' }, cwd);
    expect(c.port).toBe(9100);
    expect(c.dataDir).toBe('/srv/fedaln/other');
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://fedaln@db:5432/fedaln' });
    expect(c.adminToken).toBe('a'.repeat(32));
    expect(c.logLevel).toBe('debug');
    expect(c.trustedProxies).toEqual(['10.0.0.2', '::1']);
  });

  it.each([
    [{ PORT: 'eighty' }, {}, 'PORT'],
    [{ PORT: '70000' }, {}, 'PORT'],
    [{}, { port: '-1' }, '--port'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, {}, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, {}, 'DATABASE_URL'],
    [{ FEDALN_ADMIN_TOKEN: 'short' }, {}, 'FEDALN_ADMIN_TOKEN'],
    [{ LOG_LEVEL: 'verbose' }, {}, 'LOG_LEVEL'],
    [{ FEDALN_DATA_DIR: ' ' }, {}, 'FEDALN_DATA_DIR'],
    [{ FEDALN_TRUSTED_PROXIES: '10.0.0.2,proxy.local' }, {}, 'FEDALN_TRUSTED_PROXIES'],
  ])('%j %j fails naming %s', (env, flags, variable) => {
    let error: unknown;
    try {
      loadConfig(env, flags, cwd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(
      new RegExp(`^${variable}=.* is invalid: expected .+ Fix ${variable}`),
    );
  });

  it('never echoes a rejected admin token', () => {
    expect(() => loadConfig({ FEDALN_ADMIN_TOKEN: 'secret' }, {}, cwd)).toThrow(/<redacted>/);
  });
});
