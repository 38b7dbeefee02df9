import { UsageError } from '@fedaln/cli-flags';
import { isLoopbackHost } from '@fedaln/protocol';
import type { TlsFlags } from '../tls/coordinator-tls';

/** The flags `run` and `pull` take about the connection to the coordinator. */
export const CONNECTION_FLAGS = {
  'ca-file': { kind: 'string', hint: 'consortium-ca.crt' },
  'pin-sha256': { kind: 'string', hint: '<base64 sha256 of the coordinator TLS key>' },
  insecure: { kind: 'switch' },
} as const;

export const CONNECTION_USAGE = '[--ca-file FILE] [--pin-sha256 BASE64] [--insecure]';

/**
 * Checks `--coordinator` is an http(s) URL and returns it without a trailing slash, so
 * `${url}/site` and `${url}/api/...` are well formed. Plain `http://` is refused unless the host is
 * loopback or `insecure` (`--insecure`) says so: the token and the updates would travel in clear.
 *
 * @example coordinatorUrl('run', 'https://fedaln.example.org/') // 'https://fedaln.example.org'
 */
export function coordinatorUrl(command: string, text: string, insecure = false): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `fedaln-site ${command}: --coordinator "${text}" is not a URL; pass e.g. --coordinator https://fedaln.example.org`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `fedaln-site ${command}: --coordinator "${text}" uses ${url.protocol}; expected an http:// or https:// URL`,
    );
  }
  if (url.protocol === 'http:' && !insecure && !isLoopbackHost(url.hostname)) {
    throw new UsageError(
      `fedaln-site ${command}: --coordinator "${text}" is plain http:// to another machine, so the enrolment ` +
        `token and the model updates would cross the network in clear; use https://${url.host}${url.pathname.replace(/\/+$/, '')} ` +
        '(with --ca-file FILE if the consortium runs its own CA), or add --insecure if a trusted network or tunnel protects it',
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The connection flags of `command` checked against the URL: `--ca-file` and `--pin-sha256` need
 * https://, `--insecure` needs http:// (it never turns off certificate checks).
 *
 * @example connectionFlags('run', 'https://c.org', { 'ca-file': 'ca.crt', 'pin-sha256': undefined, insecure: false })
 */
export function connectionFlags(
  command: string,
  coordinator: string,
  flags: { 'ca-file': string | undefined; 'pin-sha256': string | undefined; insecure: boolean },
): TlsFlags {
  const https = coordinator.startsWith('https:');
  const fail = (message: string): never => {
    throw new UsageError(`fedaln-site ${command}: ${message}`);
  };
  if (!https && flags['ca-file'] !== undefined)
    fail(`--ca-file has no use with --coordinator ${coordinator} (plain http://); use https://`);
  if (!https && flags['pin-sha256'] !== undefined)
    fail(`--pin-sha256 has no use with --coordinator ${coordinator} (plain http://); use https://`);
  if (https && flags.insecure)
    fail(
      '--insecure only allows plain http:// to another machine; it does not turn off certificate checks. ' +
        "For a certificate from the consortium's own CA pass --ca-file FILE",
    );
  const pin = flags['pin-sha256'];
  if (pin !== undefined) {
    const raw = Buffer.from(pin, 'base64');
    if (raw.length !== 32 || raw.toString('base64') !== pin)
      fail(
        `--pin-sha256 "${pin}" is not a sha256 in base64 (44 characters ending in "="); the lead gets it with ` +
          '`openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64`',
      );
  }
  return { caFile: flags['ca-file'], pinSha256: pin, insecure: flags.insecure };
}
