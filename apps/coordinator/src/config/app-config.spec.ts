import { afterAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, type ConfigFlags } from './app-config';
import { proxyWarning } from './listen-config';

const cwd = '/srv/fedaln';

/** The ConfigError loadConfig throws for `env` and `flags` (fails the test when it throws none). */
function configError(env: NodeJS.ProcessEnv, flags: ConfigFlags): ConfigError {
  try {
    loadConfig(env, flags, cwd);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no ConfigError for ${JSON.stringify({ env, flags })}`);
}

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
    const error = configError(env, flags);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}=.* is invalid: expected .+ Fix ${variable}`));
  });

  it('never echoes a rejected admin token', () => {
    expect(() => loadConfig({ FEDALN_ADMIN_TOKEN: 'secret' }, {}, cwd)).toThrow(/<redacted>/);
  });
});

describe('loadConfig: where and how serve listens', () => {
  // A real certificate and key (and a mismatched key) are served in tests/adversarial/tls.spec.ts.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-config-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('defaults to plain HTTP on loopback (127.0.0.1)', () => {
    expect(loadConfig({}, {}, cwd).listen).toEqual({ host: '127.0.0.1', tls: null, behindProxy: false });
  });

  it('serves plain HTTP on another interface only behind a proxy (flag or FEDALN_BEHIND_PROXY)', () => {
    expect(loadConfig({}, { host: '0.0.0.0', behindProxy: true }, cwd).listen).toMatchObject({
      host: '0.0.0.0',
      tls: null,
      behindProxy: true,
    });
    expect(loadConfig({ FEDALN_HOST: '::', FEDALN_BEHIND_PROXY: '1' }, {}, cwd).listen.host).toBe('::');
    expect(loadConfig({}, { host: 'localhost' }, cwd).listen.host).toBe('localhost');
  });

  it.each([
    [{}, { host: '0.0.0.0' }, '--host', /--tls-cert FILE --tls-key FILE.*--behind-proxy/],
    [{ FEDALN_HOST: '192.0.2.2' }, {}, 'FEDALN_HOST', /FEDALN_BEHIND_PROXY=1/],
    [{ FEDALN_BEHIND_PROXY: 'yes' }, {}, 'FEDALN_BEHIND_PROXY', /1 or true/],
    [{}, { tlsCert: '/nonexistent/cert.pem' }, '--tls-key', /goes with --tls-cert \/nonexistent\/cert\.pem/],
    [{ FEDALN_TLS_KEY: 'key.pem' }, {}, 'FEDALN_TLS_CERT', /goes with FEDALN_TLS_KEY key\.pem/],
    [{}, { tlsCert: '/nonexistent/cert.pem', tlsKey: '/nonexistent/key.pem' }, '--tls-cert', /readable PEM/],
  ])('%j %j fails naming %s', (env, flags, variable, detail) => {
    const error = configError(env, flags);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(detail);
  });

  it('warns behind a proxy only when no trusted proxy address is set', () => {
    const behind = loadConfig({ FEDALN_BEHIND_PROXY: '1', FEDALN_HOST: '0.0.0.0' }, {}, cwd);
    expect(proxyWarning(behind.listen, behind.trustedProxies)).toMatch(/set FEDALN_TRUSTED_PROXIES/);
    const trusted = loadConfig(
      { FEDALN_BEHIND_PROXY: '1', FEDALN_HOST: '0.0.0.0', FEDALN_TRUSTED_PROXIES: '172.28.0.10' },
      {},
      cwd,
    );
    expect(proxyWarning(trusted.listen, trusted.trustedProxies)).toBeNull();
    expect(proxyWarning(loadConfig({}, {}, cwd).listen, [])).toBeNull();
  });

  it('names the certificate file that is not a certificate', () => {
    const cert = path.join(tmp, 'cert.pem');
    const key = path.join(tmp, 'key.pem');
    fs.writeFileSync(cert, 'not a certificate');
    fs.writeFileSync(key, 'not a key');
    expect(() => loadConfig({}, { tlsCert: cert, tlsKey: key }, cwd)).toThrow(
      new RegExp(`^--tls-cert="${cert}" is invalid: expected a PEM certificate`),
    );
  });
});

describe('loadConfig: secrets from files (Docker secrets)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-secrets-'));
  const password = path.join(tmp, 'postgres_password');
  const admin = path.join(tmp, 'admin_token');
  fs.writeFileSync(password, 'p@ss/word:1\n');
  fs.writeFileSync(admin, `${'t'.repeat(32)}\n`);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('puts DATABASE_PASSWORD_FILE into DATABASE_URL (URL-encoded) and reads FEDALN_ADMIN_TOKEN_FILE', () => {
    const c = loadConfig(
      {
        DATABASE_URL: 'postgres://fedaln@postgres:5432/fedaln',
        DATABASE_PASSWORD_FILE: password,
        FEDALN_ADMIN_TOKEN_FILE: admin,
      },
      {},
      cwd,
    );
    // encodeURIComponent('p@ss/word:1') = 'p%40ss%2Fword%3A1'
    expect(c.database).toEqual({
      kind: 'postgres',
      url: 'postgres://fedaln:p%40ss%2Fword%3A1@postgres:5432/fedaln',
    });
    expect(c.adminToken).toBe('t'.repeat(32));
  });

  it.each([
    [{ FEDALN_ADMIN_TOKEN_FILE: '/nonexistent/admin_token' }, 'FEDALN_ADMIN_TOKEN_FILE', /readable file/],
    [
      { FEDALN_ADMIN_TOKEN_FILE: admin, FEDALN_ADMIN_TOKEN: 'x'.repeat(30) },
      'FEDALN_ADMIN_TOKEN_FILE',
      /given alone/,
    ],
    [{ DATABASE_PASSWORD_FILE: password }, 'DATABASE_PASSWORD_FILE', /come with DATABASE_URL/],
    [
      { DATABASE_URL: 'postgres://fedaln:inline@db/fedaln', DATABASE_PASSWORD_FILE: password },
      'DATABASE_URL',
      /no password in the URL/,
    ],
  ])('%j fails naming %s', (env, variable, detail) => {
    const error = configError(env, {});
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(detail);
  });
});
