import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { isLoopbackHost } from '@fedaln/protocol';
import * as path from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** The certificate chain and key the coordinator serves HTTPS/WSS with (PEM, as read at boot). */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Absolute paths, for logs and errors. */
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Where and how `serve` listens: the interface, and TLS (its own certificate) or plain HTTP, which
 * is allowed only on loopback or when `behindProxy` says a TLS-terminating proxy sits in front.
 */
export interface ListenConfig {
  readonly host: string;
  readonly tls: TlsFiles | null;
  readonly behindProxy: boolean;
}

/** The default: plain HTTP on loopback only, reachable from this machine (and a local proxy). */
export const LOOPBACK_PLAIN: ListenConfig = Object.freeze({
  host: '127.0.0.1',
  tls: null,
  behindProxy: false,
});

/** Listen settings from the command line; each wins over its environment variable. */
export interface ListenFlags {
  readonly host?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly behindProxy?: boolean;
}

/** A bad listen setting; `variable` is the flag or variable to fix (same shape as ConfigError). */
export type ConfigErrorFactory = (variable: string, value: string, expected: string) => Error;

/**
 * Reads `--host`, `--tls-cert`, `--tls-key`, `--behind-proxy` (or `FEDALN_HOST`, `FEDALN_TLS_CERT`,
 * `FEDALN_TLS_KEY`, `FEDALN_BEHIND_PROXY`): the certificate and key are read and checked to belong
 * together at boot, and plain HTTP on a non-loopback interface is refused unless `behindProxy`.
 *
 * @example parseListen({ FEDALN_HOST: '0.0.0.0', FEDALN_BEHIND_PROXY: '1' }, {}, '/srv', fail)
 */
export function parseListen(
  env: NodeJS.ProcessEnv,
  flags: ListenFlags,
  cwd: string,
  fail: ConfigErrorFactory,
): ListenConfig {
  const hostName = flags.host !== undefined ? '--host' : 'FEDALN_HOST';
  const host = flags.host ?? (env.FEDALN_HOST || LOOPBACK_PLAIN.host);
  if (host.trim() === '' || /[\s/]/.test(host))
    throw fail(hostName, host, 'an interface address such as 127.0.0.1, 0.0.0.0 or ::');
  const behindProxy =
    flags.behindProxy === true || parseSwitch(env.FEDALN_BEHIND_PROXY, 'FEDALN_BEHIND_PROXY', fail);
  const tlsFiles = parseTls(env, flags, cwd, fail);
  if (!tlsFiles && !behindProxy && !isLoopbackHost(host))
    throw fail(
      hostName,
      host,
      'a loopback address (127.0.0.1, ::1, localhost) for plain HTTP, because on any other interface site ' +
        'tokens and updates would cross the network in clear. To serve the network, give a certificate ' +
        '(--tls-cert FILE --tls-key FILE, or FEDALN_TLS_CERT/FEDALN_TLS_KEY), or, when a TLS-terminating ' +
        'reverse proxy forwards to this port, say so with --behind-proxy (FEDALN_BEHIND_PROXY=1)',
    );
  return { host, tls: tlsFiles, behindProxy };
}

function parseSwitch(raw: string | undefined, name: string, fail: ConfigErrorFactory): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw fail(name, raw, '1 or true (or 0, false, unset)');
}

function parseTls(
  env: NodeJS.ProcessEnv,
  flags: ListenFlags,
  cwd: string,
  fail: ConfigErrorFactory,
): TlsFiles | null {
  const certName = flags.tlsCert !== undefined ? '--tls-cert' : 'FEDALN_TLS_CERT';
  const keyName = flags.tlsKey !== undefined ? '--tls-key' : 'FEDALN_TLS_KEY';
  const certRaw = flags.tlsCert ?? (env.FEDALN_TLS_CERT || undefined);
  const keyRaw = flags.tlsKey ?? (env.FEDALN_TLS_KEY || undefined);
  if (certRaw === undefined && keyRaw === undefined) return null;
  // The missing one is named in the form its partner was given in (flag or variable).
  if (certRaw === undefined)
    throw fail(
      flags.tlsKey !== undefined ? '--tls-cert' : 'FEDALN_TLS_CERT',
      '',
      `the certificate (PEM) that goes with ${keyName} ${keyRaw}`,
    );
  if (keyRaw === undefined)
    throw fail(
      flags.tlsCert !== undefined ? '--tls-key' : 'FEDALN_TLS_KEY',
      '',
      `the private key (PEM) that goes with ${certName} ${certRaw}`,
    );
  const certFile = path.resolve(cwd, certRaw);
  const keyFile = path.resolve(cwd, keyRaw);
  const read = (name: string, file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw fail(name, file, `a readable ${what} file (${(e as Error).message})`);
    }
  };
  const cert = read(certName, certFile, 'PEM certificate');
  const key = read(keyName, keyFile, 'PEM private key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw fail(certName, certFile, `a PEM certificate (${(e as Error).message})`);
  }
  if (Date.parse(x509.validTo) < Date.now())
    throw fail(certName, certFile, `a certificate that has not expired (it expired ${x509.validTo})`);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw fail(
      keyName,
      keyFile,
      `the PEM private key of the certificate in ${certFile} (${(e as Error).message})`,
    );
  }
  return { cert, key, certFile, keyFile };
}

/**
 * What to tell the lead about a proxy set-up at start, or null: behind a proxy with no trusted proxy
 * address every client shares the proxy's address, so one client's failed authentications would
 * throttle all sites (the limit is per address).
 *
 * @example proxyWarning({ host: '0.0.0.0', tls: null, behindProxy: true }, []) // 'behind a proxy …'
 */
export function proxyWarning(listen: ListenConfig, trustedProxies: readonly string[]): string | null {
  if (!listen.behindProxy || trustedProxies.length > 0) return null;
  return (
    'behind a proxy (--behind-proxy) but FEDALN_TRUSTED_PROXIES is unset: every client counts as the ' +
    "proxy's address, so one client's failed logins throttle all; set FEDALN_TRUSTED_PROXIES to the proxy's address"
  );
}

/**
 * How long the coordinator keeps an idle keep-alive HTTP connection open. Node's default (5 s) sits
 * only 1 s above what a fetch (undici) client assumes from the `Keep-Alive: timeout=5` hint, so a
 * loaded client whose timers run a second late sends its next request on a connection the server
 * has just closed ("fetch failed … other side closed", seen from a test client under load). A
 * minute, as common proxies and load balancers use, keeps a site's pull and the lead's REST calls on
 * one connection and makes that race rare; `server.close()` still closes idle connections at once.
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The options `https.createServer` takes for `files`. */
export function httpsOptions(files: TlsFiles): SecureContextOptions {
  return { cert: files.cert, key: files.key };
}
