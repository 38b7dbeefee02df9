/**
 * A network attacker against the coordinator ↔ site link (issue 14, "No TLS"), with the built
 * coordinator and the built `fedaln-site` as real processes and a CA made in the test with openssl
 * (tests/e2e/support/test-ca.ts):
 * - a site with `--ca-file` says hello over WSS and lists releases over HTTPS, pinning the key
 *   openssl computes for the server's certificate;
 * - a certificate from another CA is refused; after pinning, a new server key (even one the same CA
 *   signed, as a mis-issued or stolen certificate would be) is refused, naming the pin file;
 * - `http://` to another machine is refused before the token is sent, unless `--insecure`;
 * - `serve` without `--host` listens on loopback only, and refuses plain HTTP on other interfaces
 *   unless `--behind-proxy`.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN as COORDINATOR_BIN, Coordinator, freePort } from '../e2e/support/coordinator';
import { siteProcess, type SiteProcess } from '../e2e/support/site-process';
import { makeCa, makeServerCert, type ServerCert, type TestCa } from '../e2e/support/test-ca';
import { waitUntil } from '../e2e/support/processes';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '../..');
const ADMIN = 'adversarial-tls-admin-token-0123456789';
/** The embedded database: what is tested here is the transport, the same whatever the database. */
const ENV = { FEDALN_ADMIN_TOKEN: ADMIN, DATABASE_URL: '' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-tls-'));
const data = path.join(tmp, 'phantom', 'site1');
let ca: TestCa;
let otherCa: TestCa;
let server: ServerCert;
let rotated: ServerCert;
let port = 0;
let coordinator: Coordinator;
let token = '';
let siteId = '';

/** This machine's first non-loopback IPv4 address (the interface a network attacker reaches). */
const exposedAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

type Proc = SiteProcess;
const site = (args: string[]): Proc => siteProcess(args, tmp);

/** `fedaln-site pull` to its end: the quickest real client command that makes an authenticated request. */
async function pull(coordinatorUrl: string, workDir: string, extra: string[] = []) {
  const p = site([
    ...['pull', '--coordinator', coordinatorUrl, '--token', token || 'not-enrolled'],
    ...['--out', path.join(tmp, 'model'), '--work-dir', workDir, ...extra],
  ]);
  return { code: await p.exit, err: p.err() };
}

/** `fedaln-site run` on the phantom site with the tiny model. */
function run(workDir: string, extra: string[]): Proc {
  return site([
    ...['run', '--coordinator', coordinator.baseUrl, '--token', token, '--data', data],
    ...['--work-dir', workDir, '--arch', 'densenet-tiny', '--input-size', '32', ...extra],
  ]);
}

/** An admin REST call over HTTPS trusting only the test CA (Node 20's fetch takes no CA). */
function adminApi(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      coordinator.baseUrl + url,
      {
        method,
        ca: fs.readFileSync(ca.certFile),
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(p, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A coordinator (not started) for `serve ...args` on a free port with its own data dir. */
async function serve(args: string[]) {
  const dataDir = fs.mkdtempSync(path.join(tmp, 'serve-'));
  const c = new Coordinator(await freePort(), dataDir, ENV, args);
  return c;
}

beforeAll(async () => {
  ca = makeCa(tmp, 'ca');
  otherCa = makeCa(tmp, 'other-ca');
  server = makeServerCert(tmp, 'server', ca);
  rotated = makeServerCert(tmp, 'rotated', ca);
  const gen = spawnSync(process.execPath, [
    path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
    ...['--sites', '1', '--cases', '12', '--size', '32', '--seed', '5', '--out', path.join(tmp, 'phantom')],
  ]);
  expect(gen.status).toBe(0);
  port = await freePort();
  coordinator = new Coordinator(port, path.join(tmp, 'coordinator'), ENV, [
    ...['--tls-cert', server.certFile, '--tls-key', server.keyFile],
  ]);
  await coordinator.start();
  const enrolled = await adminApi('POST', '/api/sites', { name: 'Hospital TLS', n_train: 20, n_test: 20 });
  expect(enrolled.status).toBe(201);
  token = String(enrolled.json.enrolment_token);
  siteId = String(enrolled.json.id);
});

afterAll(async () => {
  await coordinator?.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('HTTPS and WSS with a CA made in the test', () => {
  const pinned = () => path.join(tmp, 'work-pinned');

  it('a real site client says hello over WSS with --ca-file and pins the key openssl computes', async () => {
    expect(coordinator.log).toContain('"scheme":"https"');
    const client = run(pinned(), ['--ca-file', ca.certFile]);
    await waitUntil(
      'hello over wss',
      () => client.err().includes(`connected to ${coordinator.baseUrl} as site ${siteId}`),
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    client.child.kill('SIGTERM');
    expect(await client.exit).toBe(0);
    const pin = JSON.parse(fs.readFileSync(path.join(pinned(), 'coordinator-tls.json'), 'utf8'));
    expect(pin.spki_sha256).toBe(server.spkiSha256);
    // REST over the same pinned trust: the release list is read (empty, so pull says so and exits 1).
    const listed = await pull(coordinator.baseUrl, pinned(), ['--ca-file', ca.certFile]);
    expect(listed.err).toContain('no release is visible to this site yet');
    expect(listed.code).toBe(1);
  });

  it('refuses a certificate from another CA, and one no CA it trusts signed', async () => {
    const work = path.join(tmp, 'work-other-ca');
    const wrong = await pull(coordinator.baseUrl, work, ['--ca-file', otherCa.certFile]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`does not verify against the CA in --ca-file ${otherCa.certFile}`);
    const none = await pull(coordinator.baseUrl, work);
    expect(none.code).toBe(1);
    expect(none.err).toContain("pass the consortium's CA with --ca-file FILE");
    expect(fs.existsSync(path.join(work, 'coordinator-tls.json'))).toBe(false);
    const client = run(work, ['--ca-file', otherCa.certFile]);
    expect(await client.exit).toBe(1);
    expect(client.err()).toContain('REFUSED: TLS to');
    expect(client.err()).not.toContain('connected to');
  });

  it('refuses a changed server key after pinning, though the same CA signed it, naming the pin file', async () => {
    // A site connected when the coordinator restarts with another key (an interceptor taking its place).
    const connected = run(pinned(), ['--ca-file', ca.certFile]);
    await waitUntil('hello over wss', () => connected.err().includes(`as site ${siteId}`), {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    await coordinator.kill('SIGTERM');
    const again = new Coordinator(port, path.join(tmp, 'coordinator'), ENV, [
      ...['--tls-cert', rotated.certFile, '--tls-key', rotated.keyFile],
    ]);
    coordinator = again;
    await again.start();
    const pinFile = path.join(pinned(), 'coordinator-tls.json');
    // Its reconnection fails the pinned-key check in the handshake: it stops, sending nothing.
    expect(await connected.exit).toBe(1);
    expect(connected.err()).toContain(
      `REFUSED: the coordinator 127.0.0.1 presents TLS key sha256 ${rotated.spkiSha256}`,
    );
    const client = run(pinned(), ['--ca-file', ca.certFile]);
    expect(await client.exit).toBe(1);
    expect(client.err()).toContain(
      `presents TLS key sha256 ${rotated.spkiSha256}, not the key pinned in ${pinFile}`,
    );
    expect(client.err()).toContain(`delete ${pinFile}`);
    expect(client.err()).not.toContain('connected to');
    const pulled = await pull(again.baseUrl, pinned(), ['--ca-file', ca.certFile]);
    expect(pulled.code).toBe(1);
    expect(pulled.err).toContain(`not the key pinned in ${pinFile}`);
    // Pinned ahead of first contact with --pin-sha256: the rotated key is refused there too.
    const ahead = await pull(again.baseUrl, path.join(tmp, 'work-ahead'), [
      ...['--ca-file', ca.certFile, '--pin-sha256', server.spkiSha256],
    ]);
    expect(ahead.code).toBe(1);
    expect(ahead.err).toContain('not the key given with --pin-sha256');
  });
});

describe('plain http:// to another machine', () => {
  it('is refused before the token is sent, unless --insecure', async () => {
    // A plain HTTP listener on every interface, recording the bearer tokens it is sent.
    const seen: string[] = [];
    const listener = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
    const host = exposedAddress ?? 'fedaln-tls-test.invalid'; // .invalid never resolves (RFC 6761)
    const url = `http://${host}:${(listener.address() as net.AddressInfo).port}`;
    try {
      const refused = await pull(url, path.join(tmp, 'work-http'));
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(`--coordinator "${url}" is plain http:// to another machine`);
      expect(refused.err).toContain('--insecure');
      expect(seen).toEqual([]);
      if (exposedAddress) {
        const insecure = await pull(url, path.join(tmp, 'work-http'), ['--insecure']);
        expect(insecure.err).toContain('warning: --insecure');
        expect(seen).toContain(`Bearer ${token}`);
      }
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

describe('where serve listens', () => {
  const exposed = exposedAddress;

  it('without --host: loopback only', async () => {
    const c = await serve([]);
    await c.start();
    try {
      expect(c.log).toContain('"host":"127.0.0.1"');
      expect(await accepts('127.0.0.1', c.port)).toBe(true);
      if (exposed) expect(await accepts(exposed, c.port)).toBe(false);
      else {
        // No other interface here: the listening socket itself must be bound to 127.0.0.1 (/proc/net/tcp).
        const hex = c.port.toString(16).toUpperCase().padStart(4, '0');
        const rows = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
          fs.readFileSync(f, 'utf8').split('\n'),
        );
        const listening = rows.filter((r) => r.includes(`:${hex} `) && r.split(/\s+/)[4] === '0A');
        expect(listening.map((r) => r.trim().split(/\s+/)[1])).toEqual([`0100007F:${hex}`]);
      }
    } finally {
      await c.kill('SIGTERM');
    }
  });

  it('refuses plain HTTP on 0.0.0.0 saying what to do, and serves it with --behind-proxy', async () => {
    const refused = spawnSync(
      process.execPath,
      [COORDINATOR_BIN, 'serve', '--port', '0', '--data-dir', path.join(tmp, 'refused'), '--host', '0.0.0.0'],
      { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--host="0.0.0.0" is invalid');
    expect(refused.stderr).toContain('--tls-cert FILE --tls-key FILE');
    expect(refused.stderr).toContain('--behind-proxy');
    const proxied = await serve(['--host', '0.0.0.0', '--behind-proxy']);
    await proxied.start();
    try {
      expect(proxied.log).toContain('"behindProxy":true');
      if (exposed) expect(await accepts(exposed, proxied.port)).toBe(true);
    } finally {
      await proxied.kill('SIGTERM');
    }
  });
});
