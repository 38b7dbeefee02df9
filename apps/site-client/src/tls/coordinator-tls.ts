/**
 * How the site client trusts the coordinator's HTTPS/WSS endpoint: the certificate chain verifies
 * against the system's CAs or `--ca-file`, the name matches, and the certificate's public key (the
 * sha256 of its SubjectPublicKeyInfo, RFC 7469's `pin-sha256`) equals the one pinned in the work
 * dir at first contact (or given with `--pin-sha256`), on every connection the client makes.
 */
import { UsageError } from '@fedaln/cli-flags';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { readPin, writePin } from '../trust/pin-store';

/** `<work-dir>/coordinator-tls.json`: the pinned TLS key of the coordinator, next to its release key. */
export const PINNED_TLS_FILE = 'coordinator-tls.json';

export interface PinnedTlsKey {
  /** base64 sha256 of the certificate's SubjectPublicKeyInfo (DER). */
  readonly spki_sha256: string;
  readonly coordinator: string;
  readonly pinned_at: string;
}

/** `--ca-file`, `--pin-sha256` as parsed; `insecure` allowed plain http:// to a non-loopback host. */
export interface TlsFlags {
  readonly caFile: string | undefined;
  readonly pinSha256: string | undefined;
  readonly insecure: boolean;
}

/** The coordinator's TLS endpoint is not the one this site trusts; the message says what to do. */
export class CoordinatorTlsError extends Error {
  override readonly name = 'CoordinatorTlsError';
}

/**
 * base64 sha256 of a certificate's SubjectPublicKeyInfo, as `openssl x509 -pubkey -noout | openssl
 * pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64` prints it.
 *
 * @example spkiSha256(socket.getPeerCertificate().raw) // 'UERd5HtGHVLd…='
 */
export function spkiSha256(certDer: Buffer): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * What every HTTPS request and socket of this client passes to TLS: the CA (when `--ca-file`) and a
 * server-identity check that adds the pin to Node's host-name check.
 */
export class CoordinatorTls {
  /** The agent of every REST request to the coordinator. */
  readonly agent: https.Agent;

  constructor(
    readonly ca: Buffer | undefined,
    /** The pinned key (see {@link spkiSha256}). */
    readonly pin: string,
    private readonly pinSource: string,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      ...(ca && { ca }),
      checkServerIdentity: this.checkServerIdentity,
    });
  }

  /** Node's host-name check, then the pin: a different key fails the handshake. */
  readonly checkServerIdentity = (host: string, cert: tls.PeerCertificate): Error | undefined => {
    const err = tls.checkServerIdentity(host, cert);
    if (err) return err;
    const actual = spkiSha256(cert.raw);
    return actual === this.pin
      ? undefined
      : new CoordinatorTlsError(changedKey(host, actual, this.pin, this.pinSource));
  };

  /**
   * socket.io-client options: the websocket transport only, since engine.io-client passes `ca` and
   * `checkServerIdentity` on to `ws` (so to tls.connect) there, while its polling transport drops
   * the identity check. Its typings list `ca` but not `checkServerIdentity`, hence the cast.
   */
  socketOptions(): Partial<ManagerOptions & SocketOptions> {
    const tlsOptions: Pick<tls.ConnectionOptions, 'ca' | 'checkServerIdentity'> = {
      ...(this.ca && { ca: this.ca.toString('utf8') }),
      checkServerIdentity: this.checkServerIdentity,
    };
    return { transports: ['websocket'], ...(tlsOptions as Partial<ManagerOptions & SocketOptions>) };
  }
}

/** `source` is the pin file, or `--pin-sha256` when the key was given ahead of first contact. */
function changedKey(host: string, actual: string, pinned: string, source: string): string {
  const fromFlag = source === '--pin-sha256';
  return (
    `the coordinator ${host} presents TLS key sha256 ${actual}, not the key ${fromFlag ? 'given with' : 'pinned in'} ` +
    `${source} (${pinned}): someone may be intercepting the connection. Stop and ask the consortium lead; ` +
    (fromFlag
      ? 'check the --pin-sha256 value with the lead'
      : `only if the lead confirms the coordinator's key changed, delete ${source} (or pass the new key with --pin-sha256 after deleting it) and start again`)
  );
}

function readCa(caFile: string): Buffer {
  const file = path.resolve(caFile);
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new UsageError(
      `--ca-file "${caFile}" cannot be read (${(e as Error).message}); pass the consortium CA's certificate (PEM)`,
    );
  }
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw new UsageError(
      `--ca-file "${caFile}" is not a PEM certificate (${(e as Error).message}); pass the consortium CA's certificate, e.g. ca.crt`,
    );
  }
  return pem;
}

/** The certificate of `url`'s TLS endpoint, verified against `ca` (or the system's CAs) and its name. */
function peerCertificate(url: URL, ca: Buffer | undefined, caFile: string | undefined): Promise<Buffer> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(net.isIP(host) === 0 && { servername: host }),
      ...(ca && { ca }),
      rejectUnauthorized: true,
    });
    let reached = false; // TCP connected: a later error is the TLS handshake's (certificate or name)
    socket.once('connect', () => (reached = true));
    socket.setTimeout(30_000, () => socket.destroy(new Error('no TLS handshake within 30 s')));
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(raw);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const fix = !reached
        ? 'check --coordinator and that it serves https://'
        : code.startsWith('ERR_SSL_')
          ? 'it does not speak TLS on that port; check --coordinator (https:// and the port)'
          : caFile
            ? `the coordinator's certificate does not verify against the CA in --ca-file ${caFile} for ${host}; ` +
              "check that the file is the consortium's CA and --coordinator the name in its certificate"
            : "its certificate is not signed by a CA this machine trusts; pass the consortium's CA with --ca-file FILE";
      reject(
        new CoordinatorTlsError(
          `TLS to ${url.origin} failed: ${err.message}${code ? ` (${code})` : ''}; ${fix}`,
        ),
      );
    });
  });
}

/**
 * The TLS trust for `coordinator` (null for plain http://): connects once, verifies the chain and
 * name, then compares the key with the pin in `<workDir>/coordinator-tls.json` or `--pin-sha256`;
 * at first contact the key is pinned there. Later connections check the same pin (see
 * {@link CoordinatorTls.checkServerIdentity}).
 *
 * @throws CoordinatorTlsError for an untrusted certificate or a key that differs from the pin.
 * @throws UsageError for an unreadable `--ca-file`, or a `--pin-sha256` that differs from the pinned one.
 * @example const trust = await coordinatorTls('https://fedaln.example.org', flags, workDir, log);
 */
export async function coordinatorTls(
  coordinator: string,
  flags: TlsFlags,
  workDir: string,
  log: (line: string) => void,
): Promise<CoordinatorTls | null> {
  const url = new URL(coordinator);
  if (url.protocol !== 'https:') return null;
  const ca = flags.caFile === undefined ? undefined : readCa(flags.caFile);
  const file = path.join(path.resolve(workDir), PINNED_TLS_FILE);
  const pinned = await readPin<PinnedTlsKey>(workDir, PINNED_TLS_FILE);
  if (pinned && flags.pinSha256 !== undefined && flags.pinSha256 !== pinned.spki_sha256)
    throw new UsageError(
      `--pin-sha256 ${flags.pinSha256} differs from the key pinned in ${file} (${pinned.spki_sha256}); ` +
        `if the lead confirms the coordinator's key changed, delete ${file} and start again`,
    );
  const actual = spkiSha256(await peerCertificate(url, ca, flags.caFile));
  const expected = pinned?.spki_sha256 ?? flags.pinSha256;
  const source = pinned ? file : '--pin-sha256';
  if (expected !== undefined && expected !== actual)
    throw new CoordinatorTlsError(changedKey(url.host, actual, expected, source));
  if (!pinned) {
    const record: PinnedTlsKey = {
      spki_sha256: actual,
      coordinator: url.origin,
      pinned_at: new Date().toISOString(),
    };
    await writePin(workDir, PINNED_TLS_FILE, record);
    log(`pinned the coordinator's TLS key (sha256 ${actual}) in ${file}`);
  }
  return new CoordinatorTls(ca, actual, file);
}

/**
 * {@link coordinatorTls} for `fedaln-site <command>`: a refusal is logged as `REFUSED: …` and
 * returned as `refused` (the command exits 1); `--insecure` is warned about.
 *
 * @example const trust = await trustCoordinator('pull', cmd.coordinator, cmd.tls, cmd.workDir, log);
 */
export async function trustCoordinator(
  command: string,
  coordinator: string,
  flags: TlsFlags,
  workDir: string,
  log: (line: string) => void,
): Promise<{ refused: false; tls: CoordinatorTls | null } | { refused: true }> {
  try {
    const tls = await coordinatorTls(coordinator, flags, workDir, log);
    if (flags.insecure) log(`warning: --insecure: the token and the model travel in clear to ${coordinator}`);
    return { refused: false, tls };
  } catch (err) {
    if (!(err instanceof CoordinatorTlsError)) throw err;
    log(`fedaln-site ${command}: REFUSED: ${err.message}`);
    return { refused: true };
  }
}
