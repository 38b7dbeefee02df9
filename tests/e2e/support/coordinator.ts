/**
 * Runs the built coordinator (`node apps/coordinator/bin/fedaln-coordinator.js serve`) for the
 * round e2e tests, on a fixed port so sites reach it again after a SIGKILL and restart.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import type { CrashPoint } from '../../../apps/coordinator/src/config/crash-point';
import { startNode, type Started } from './processes';

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

/**
 * The line the coordinator logs as it SIGKILLs itself at `point` (crash-point.ts). Not just
 * `"point":…`: the boot's warning that the hook is armed names the point too.
 */
export function crashLine(point: CrashPoint): string {
  return `"msg":"crash point reached: SIGKILL","point":"${point}"`;
}

export class Coordinator {
  private proc: Started | null = null;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
    /** More `serve` flags, e.g. `--tls-cert FILE --tls-key FILE` (then `baseUrl` is https://). */
    private readonly args: readonly string[] = [],
    /**
     * `wrap`: a prefix of the command line (`['ip', 'netns', 'exec', NS]` runs it in a network
     * namespace); `host`: the address the tests reach it at (127.0.0.1 by default).
     */
    private readonly where: { readonly wrap?: readonly string[]; readonly host?: string } = {},
  ) {}

  get baseUrl(): string {
    const scheme = this.args.includes('--tls-cert') ? 'https' : 'http';
    return `${scheme}://${this.where.host ?? '127.0.0.1'}:${this.port}`;
  }

  get pid(): number {
    if (!this.proc || this.proc.exited()) throw new Error('the coordinator is not running');
    return this.proc.pid;
  }

  /** Everything the current process logged (JSON lines). */
  get log(): string {
    return this.proc?.out() ?? '';
  }

  /** The current process (processes.ts), e.g. to await its exit after a crash point. */
  get process(): Started | null {
    return this.proc;
  }

  /**
   * Starts `serve` and resolves once it logs that it listens. `env` is added to the constructor's
   * for this start only (a crash point, say).
   */
  async start(timeoutMs = 180_000, env: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.launch(env).waitForOutput('"msg":"listening"', timeoutMs, 'out');
  }

  private launch(env: NodeJS.ProcessEnv): Started {
    this.proc = startNode(
      BIN,
      ['serve', '--port', String(this.port), '--data-dir', this.dataDir, ...this.args],
      {
        env: { ...process.env, LOG_LEVEL: 'info', ...this.env, ...env },
        name: 'coordinator',
        wrap: this.where.wrap,
      },
    );
    return this.proc;
  }

  /**
   * Starts `serve` armed at a crash point (`FEDALN_CRASH_AT`, apps/coordinator/src/config/crash-point.ts)
   * and resolves once it listens, or once it has crashed there: a point the boot's recovery reaches
   * (an aggregation it restarts, say) fires before the server listens.
   */
  async startArmed(point: CrashPoint, timeoutMs = 180_000): Promise<'listening' | 'crashed'> {
    const proc = this.launch({ FEDALN_CRASH_AT: point });
    // Point names are letters, ':' and '-': nothing a RegExp reads specially.
    await proc.waitForOutput(new RegExp(`"msg":"listening"|${crashLine(point)}`), timeoutMs, 'out');
    return proc.out().includes(crashLine(point)) ? 'crashed' : 'listening';
  }

  /** Resolves when a log line contains `text`; rejects if the process exits first. */
  waitForLog(text: string, timeoutMs = 60_000): Promise<void> {
    if (!this.proc) throw new Error('the coordinator was never started');
    return this.proc.waitForOutput(text, timeoutMs, 'out');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.proc?.kill(signal);
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

/**
 * A global model version's blob as the coordinator serves it to the lead
 * (`GET /api/studies/:id/models/:version`); throws with the status unless it answers 200.
 */
export async function globalModel(baseUrl: string, token: string, studyId: string, version: number) {
  const res = await fetch(`${baseUrl}/api/studies/${studyId}/models/${version}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`model ${version} of study ${studyId}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
