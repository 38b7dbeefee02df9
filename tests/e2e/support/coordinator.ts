/**
 * Runs the built coordinator (`node apps/coordinator/bin/fedaln-coordinator.js serve`) for the
 * round e2e tests, on a fixed port so sites reach it again after a SIGKILL and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export const BIN = path.join(__dirname, '../../../apps/coordinator/bin/fedaln-coordinator.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export class Coordinator {
  private child: ChildProcess | null = null;
  private out = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
    /** More `serve` flags, e.g. `--tls-cert FILE --tls-key FILE` (then `baseUrl` is https://). */
    private readonly args: readonly string[] = [],
  ) {}

  get baseUrl(): string {
    return `${this.args.includes('--tls-cert') ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('the coordinator is not running');
    return this.child.pid;
  }

  /** Everything the current process logged (JSON lines). */
  get log(): string {
    return this.out;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', String(this.port), '--data-dir', this.dataDir, ...this.args],
      {
        env: { ...process.env, LOG_LEVEL: 'info', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    await this.waitForLog('"msg":"listening"', timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.out}\n${err}`);
    });
  }

  /** Resolves when a log line contains `text` (checked every 25 ms). */
  async waitForLog(text: string, timeoutMs = 60_000): Promise<void> {
    for (const end = Date.now() + timeoutMs; !this.out.includes(text);) {
      if (this.child?.exitCode !== null) throw new Error(`coordinator exited before logging ${text}`);
      if (Date.now() > end) throw new Error(`coordinator did not log ${text} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}

/**
 * One REST call with the admin bearer token; resolves the status and the parsed JSON body.
 *
 * @example
 * const { status, json } = await adminApi(coordinator.baseUrl, token, 'POST', '/api/sites', { name: 'A' });
 */
export async function adminApi(baseUrl: string, token: string, method: string, url: string, body?: unknown) {
  const res = await fetch(baseUrl + url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
