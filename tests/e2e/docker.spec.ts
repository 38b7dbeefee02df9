/**
 * docker/ without a Docker engine (none runs here): compose.yaml parsed with js-yaml and held to the
 * deployment rules of issue 14 (only the TLS proxy publishes a port; no secret inline, in argv or in
 * the environment; every secret a file), the coordinator's compose environment loaded by the real
 * config module, the Caddyfile checked against the services it names, and docker/make-secrets.sh run
 * for real: its certificate serves the built coordinator over HTTPS, trusted through its CA, and the
 * Dockerfile's HEALTHCHECK passes against it.
 */
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../apps/coordinator/src/config/app-config';
import { Coordinator, freePort } from './support/coordinator';

// js-yaml ships no types here; this is the part of its API used.
const { load } = require('js-yaml') as { load(text: string): unknown };

jest.setTimeout(120_000);

const DOCKER = path.join(__dirname, '../../docker');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-docker-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  networks?: { default?: { ipv4_address?: string; aliases?: string[] } };
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

const compose = load(fs.readFileSync(path.join(DOCKER, 'compose.yaml'), 'utf8')) as Compose;
const services = Object.entries(compose.services);
const coordinator = compose.services.coordinator!;
const proxy = compose.services.proxy!;

describe('docker/compose.yaml', () => {
  it('publishes only the TLS proxy, on 443; the coordinator is reached on the compose network', () => {
    const published = services.filter(([, s]) => s.ports?.length).map(([name, s]) => [name, s.ports]);
    expect(published).toEqual([['proxy', ['443:443']]]);
    expect(coordinator.expose).toEqual(['8080']);
  });

  it('writes no secret inline, in argv or in the environment: each is a Docker secret file', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        // A variable named like a secret must be the *_FILE form pointing into /run/secrets.
        if (/PASSWORD|TOKEN|SECRET|KEY/.test(key)) {
          expect([name, key, /_FILE$/.test(key)]).toEqual([name, key, true]);
          expect(String(value)).toMatch(/^\/run\/secrets\/\w+$/);
          expect(s.secrets).toContain(String(value).slice('/run/secrets/'.length));
        }
      }
      expect([name, (s.command ?? []).filter((a) => /--token|--admin|password/i.test(a))]).toEqual([
        name,
        [],
      ]);
      for (const secret of s.secrets ?? []) expect(compose.secrets[secret]?.file).toMatch(/^\.\/secrets\/\w/);
    }
    // The database URL names the user and host, never a password.
    expect(new URL(coordinator.environment!.DATABASE_URL!).password).toBe('');
    expect(compose.services.postgres!.environment!.POSTGRES_PASSWORD_FILE).toBe(
      '/run/secrets/postgres_password',
    );
  });

  it("is an environment the coordinator's config module accepts: 0.0.0.0 behind the proxy, secrets read from files", () => {
    const secrets = path.join(tmp, 'run-secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'postgres_password'), 'compose-password\n');
    fs.writeFileSync(path.join(secrets, 'admin_token'), `${'a'.repeat(40)}\n`);
    const env = Object.fromEntries(
      Object.entries(coordinator.environment!).map(([k, v]) => [
        k,
        String(v).replace('/run/secrets', secrets),
      ]),
    );
    const config = loadConfig(env, {}, tmp);
    expect(config.listen).toEqual({ host: '0.0.0.0', tls: null, behindProxy: true });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://fedaln:compose-password@postgres:5432/fedaln',
    });
    expect(config.adminToken).toBe('a'.repeat(40));
    // X-Forwarded-For is believed from the proxy's fixed address only.
    expect(config.trustedProxies).toEqual([proxy.networks!.default!.ipv4_address]);
  });

  it('the example site reaches the proxy by its public name over https with the consortium CA', () => {
    const site = compose.services['site-a']!;
    const args = site.command!;
    expect(args[args.indexOf('--coordinator') + 1]).toBe('https://${FEDALN_PUBLIC_HOST:?}');
    expect(args[args.indexOf('--ca-file') + 1]).toBe('/run/secrets/consortium_ca');
    expect(site.environment!.FEDALN_SITE_TOKEN_FILE).toBe('/run/secrets/site_a_token');
    expect(proxy.networks!.default!.aliases).toEqual(['${FEDALN_PUBLIC_HOST:?}']);
  });
});

describe('docker/Caddyfile', () => {
  const caddyfile = fs.readFileSync(path.join(DOCKER, 'Caddyfile'), 'utf8');
  const directives = caddyfile
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);

  it('is mounted by the proxy service and its braces balance', () => {
    expect(proxy.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
    const opened = (caddyfile.replace(/#.*/g, '').match(/{(?!\$)/g) ?? []).length;
    const closed = (caddyfile.replace(/#.*/g, '').match(/(?<!{\$\w*)}/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('terminates TLS with the secrets the proxy mounts and forwards to the coordinator service', () => {
    expect(directives).toContain('{$FEDALN_PUBLIC_HOST}:443 {');
    const tls = directives.find((d) => d.startsWith('tls '))!.split(/\s+/);
    expect(tls.slice(1)).toEqual(['/run/secrets/tls_cert', '/run/secrets/tls_key']);
    expect(proxy.secrets).toEqual(['tls_cert', 'tls_key']);
    expect(proxy.environment!.FEDALN_PUBLIC_HOST).toMatch(/^\$\{FEDALN_PUBLIC_HOST:\?/);
    // reverse_proxy passes websocket upgrades (socket.io) through by itself.
    expect(directives).toContain(`reverse_proxy coordinator:${coordinator.expose![0]} {`);
    expect(directives).not.toContain('auto_https off'); // would also serve plain HTTP on :80
  });
});

describe('docker/make-secrets.sh and the coordinator image', () => {
  const secrets = path.join(tmp, 'secrets');

  it('makes a CA and a certificate for the name or address given, never overwriting', () => {
    execFileSync('sh', [path.join(DOCKER, 'make-secrets.sh'), '127.0.0.1', secrets]);
    const ca = new X509Certificate(fs.readFileSync(path.join(secrets, 'ca.crt')));
    const cert = new X509Certificate(fs.readFileSync(path.join(secrets, 'tls_cert')));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(fs.statSync(secrets).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(secrets, 'postgres_password'), 'utf8')).toMatch(/^[0-9a-f]{48}\n$/);
    const before = fs.readFileSync(path.join(secrets, 'tls_cert'));
    execFileSync('sh', [path.join(DOCKER, 'make-secrets.sh'), '127.0.0.1', secrets]);
    expect(fs.readFileSync(path.join(secrets, 'tls_cert'))).toEqual(before);
    const named = path.join(tmp, 'named');
    execFileSync('sh', [path.join(DOCKER, 'make-secrets.sh'), 'fedaln.example.org', named]);
    expect(
      new X509Certificate(fs.readFileSync(path.join(named, 'tls_cert'))).checkHost('fedaln.example.org'),
    ).toBe('fedaln.example.org');
  });

  it("serves the built coordinator over HTTPS on 0.0.0.0 as the image does, and the image's HEALTHCHECK passes", async () => {
    const dockerfile = fs.readFileSync(path.join(DOCKER, 'coordinator.Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/FEDALN_HOST=0\.0\.0\.0/);
    const port = await freePort();
    const tlsEnv = {
      DATABASE_URL: '',
      FEDALN_HOST: '0.0.0.0',
      FEDALN_TLS_CERT: path.join(secrets, 'tls_cert'),
      FEDALN_TLS_KEY: path.join(secrets, 'tls_key'),
      FEDALN_ADMIN_TOKEN_FILE: path.join(secrets, 'admin_token'),
    };
    const served = new Coordinator(port, path.join(tmp, 'data'), tlsEnv);
    await served.start();
    try {
      expect(served.log).toContain('"host":"0.0.0.0"');
      const status = await new Promise<number>((resolve, reject) =>
        https
          .get(
            `https://127.0.0.1:${port}/healthz`,
            { ca: fs.readFileSync(path.join(secrets, 'ca.crt')) },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          )
          .once('error', reject),
      );
      expect(status).toBe(200);
      const healthcheck = /CMD node -e "(.*)"\n/.exec(dockerfile)![1]!;
      const probe = spawnSync(process.execPath, ['-e', healthcheck], {
        env: { ...process.env, ...tlsEnv, PORT: String(port) },
      });
      expect(probe.status).toBe(0);
    } finally {
      await served.kill('SIGTERM');
    }
  });
});
