/**
 * The built site client (`apps/site-client/bin/fedaln-site.js`) as a real process, its output
 * collected as it comes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const SITE_BIN = path.join(__dirname, '../../../apps/site-client/bin/fedaln-site.js');

export interface SiteProcess {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  readonly exit: Promise<number | null>;
}

/** Starts `fedaln-site ...args` in `cwd` (engine `auto`). */
export function siteProcess(args: string[], cwd: string): SiteProcess {
  const child = spawn(process.execPath, [SITE_BIN, ...args], {
    cwd,
    env: { ...process.env, FEDALN_ENGINE: 'auto' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}
