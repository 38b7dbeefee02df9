/**
 * Runs the built coordinator (`apps/coordinator/dist`, made by `npm run build`) as a real process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BIN = path.join(__dirname, '../../apps/coordinator/bin/fedaln-coordinator.js');

/** The child's environment: no DATABASE_URL (PGlite in the data dir) and no fixed admin token. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...extra };
  delete env.DATABASE_URL;
  delete env.FEDALN_ADMIN_TOKEN;
  return env;
}

export function assertBuilt(): void {
  if (!fs.existsSync(path.join(__dirname, '../../apps/coordinator/dist/cli.js'))) {
    throw new Error(
      'apps/coordinator is not built: run `npm run build` (or `npx tsc -b apps/coordinator`) first',
    );
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI on PGlite in its --data-dir, or on the PostgreSQL database `databaseUrl` names. */
export function runCli(args: string[], databaseUrl?: string): Promise<CliResult> {
  const env = childEnv();
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningServer {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Everything the server wrote to stderr so far (the one-time admin token appears here). */
  stderr(): string;
  stdout(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `serve --port 0` and resolves once the server logs the port it listens on. */
export function startServer(dataDir: string, timeoutMs = 60_000): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: childEnv(),
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        child,
        baseUrl: `http://127.0.0.1:${port}`,
        stderr: () => err,
        stdout: () => out,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
