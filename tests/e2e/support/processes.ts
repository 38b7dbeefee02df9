/**
 * The one way e2e tests start a real process and wait for it: output collected as it comes,
 * readiness awaited on the output event itself (no polling of a string), an exit or a timeout
 * turned into an error that shows what the process said.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout / stderr so far. */
  out(): string;
  err(): string;
  /** Resolves when the process has exited: its code, or null and the signal that ended it. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  exited(): boolean;
  /**
   * Resolves once stdout or stderr (`stream`) matches `pattern` (already or later); rejects if the
   * process exits first or after `timeoutMs`, with its output in the message.
   */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number, stream?: 'out' | 'err' | 'any'): Promise<void>;
  /** Sends `signal` (SIGKILL by default) unless the process has exited; resolves once it has. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Prefix of the command line, e.g. ['ip', 'netns', 'exec', 'ns1'] to run it in a namespace. */
  readonly wrap?: readonly string[];
  /** Label for error messages. */
  readonly name?: string;
}

/** Starts `node script ...args` (with `options.wrap` in front, if any). */
export function startNode(script: string, args: readonly string[], options: StartOptions = {}): Started {
  const argv = [...(options.wrap ?? []), process.execPath, script, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = options.name ?? script;
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  let done = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
      notify();
    }),
  );
  const tail = () => `\n--- ${name} stdout:\n${out.slice(-4000)}\n--- ${name} stderr:\n${err.slice(-4000)}`;
  return {
    child,
    pid: child.pid ?? -1,
    out: () => out,
    err: () => err,
    exit,
    exited: () => done,
    waitForOutput(pattern, timeoutMs = 120_000, stream = 'any') {
      const text = () => (stream === 'out' ? out : stream === 'err' ? err : out + '\n' + err);
      const matches = () => (typeof pattern === 'string' ? text().includes(pattern) : pattern.test(text()));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (matches()) finish(null);
          else if (done) finish(new Error(`${name} exited before printing ${String(pattern)}${tail()}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`${name} did not print ${String(pattern)} within ${timeoutMs} ms${tail()}`)),
          timeoutMs,
        );
        const finish = (e: Error | null) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (!done) child.kill(signal);
      await exit;
    },
  };
}

/**
 * Resolves once `ok()` holds, checked every `intervalMs` (for state only a request can read, such as a
 * study's status over REST); rejects with `what` after `timeoutMs`, or at once if `abort()` returns an
 * error (a process that died, say).
 */
export async function waitUntil(
  what: string,
  ok: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; abort?: () => Error | null } = {},
): Promise<void> {
  const { timeoutMs = 180_000, intervalMs = 200, abort } = options;
  for (const end = Date.now() + timeoutMs; !(await ok());) {
    const stop = abort?.();
    if (stop) throw stop;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
