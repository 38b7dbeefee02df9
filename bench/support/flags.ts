/**
 * Command-line flags of the benchmarks, shared by every bench/*.bench.ts: `parseFlags` of
 * @fedaln/cli-flags over the names of a benchmark's defaults, so a mistyped flag or a bad number
 * stops the run at once (exit 2, naming it) instead of measuring the defaults for minutes.
 */
import { parseFlags, UsageError, type FlagOptions } from '@fedaln/cli-flags';
import * as path from 'node:path';

type Defaults = Record<string, number | string | boolean>;
export type BenchFlags<D extends Defaults> = {
  [K in keyof D]: D[K] extends number ? number : D[K] extends boolean ? boolean : string;
};

/**
 * This run's flags: one `--name` per key of `defaults`, typed by its default. A boolean default
 * (false) makes a switch; a number default takes a positive number; a string default takes any text.
 *
 * @example
 * // node --import tsx bench/metrics.bench.ts --reps 3
 * benchFlags({ json: false, n: 1_000_000, reps: 5 }); // { json: false, n: 1000000, reps: 3 }
 */
export function benchFlags<D extends Defaults>(defaults: D): BenchFlags<D> {
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench');
  const options: FlagOptions = {};
  for (const [name, fallback] of Object.entries(defaults))
    options[name] = { type: typeof fallback === 'boolean' ? 'boolean' : 'string' };
  try {
    const { values } = parseFlags({
      args: process.argv.slice(2),
      options,
      help: `the comment at the top of ${script}`,
    });
    const flags: Record<string, number | string | boolean> = {};
    for (const [name, fallback] of Object.entries(defaults)) {
      const value = values[name] as string | boolean | undefined;
      flags[name] =
        value === undefined || typeof value === 'boolean'
          ? (value ?? fallback)
          : typeof fallback === 'number'
            ? positiveNumber(`--${name}`, value)
            : value;
    }
    return flags as BenchFlags<D>;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${script}: ${err.message}\n`);
    process.exit(err.exitCode);
  }
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} "${text}" is not valid; expected a positive number`);
  return n;
}
