/**
 * The built site client (`apps/site-client/bin/fedaln-site.js`) as a real process, its output
 * collected as it comes (processes.ts).
 */
import * as path from 'node:path';
import { startNode, type Started, type StartOptions } from './processes';

export const SITE_BIN = path.join(__dirname, '../../../apps/site-client/bin/fedaln-site.js');

export interface SiteProcess {
  readonly child: Started['child'];
  out(): string;
  err(): string;
  readonly exit: Promise<number | null>;
  /** The process handle itself: readiness waits, kill. */
  readonly proc: Started;
}

/** Starts `fedaln-site ...args` in `cwd` (engine `auto` unless `env` says otherwise). */
export function siteProcess(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  options: Pick<StartOptions, 'wrap' | 'name'> = {},
): SiteProcess {
  const proc = startNode(SITE_BIN, args, {
    cwd,
    env: { ...process.env, FEDALN_ENGINE: 'auto', ...env },
    name: options.name ?? 'fedaln-site',
    wrap: options.wrap,
  });
  return { child: proc.child, out: proc.out, err: proc.err, exit: proc.exit.then((e) => e.code), proc };
}
