/**
 * Flags of `fedaln-phantom`. Parsing is pure; a bad flag throws {@link UsageError}, which the CLI
 * turns into exit code 2 with the message (the bad value, what was expected, the flag to fix).
 */
import { MAX_SIZE_PX, MIN_SIZE_PX } from './render';

export interface PhantomCliOptions {
  sites: number;
  cases: number;
  size: number;
  seed: number;
  out: string;
  preview: boolean;
}

export class UsageError extends Error {}

export const USAGE = `usage: fedaln-phantom --out DIR [--sites N] [--cases M] [--size PX] [--seed S] [--preview]
  --out DIR     output folder; writes DIR/site<k>/labels.csv and DIR/site<k>/images/*.png
  --sites N     number of sites, 1-100 (default 3)
  --cases M     cases per site, 1-100000 (default 120)
  --size PX     image width = height in pixels, ${MIN_SIZE_PX}-${MAX_SIZE_PX} (default 224)
  --seed S      integer seed, 0-4294967295 (default 1); the same seed gives identical files
  --preview     also write DIR/preview.png, a contact sheet (border red = ALN metastasis, green = none)`;

const INTEGER_FLAGS = {
  '--sites': { key: 'sites', min: 1, max: 100 },
  '--cases': { key: 'cases', min: 1, max: 100_000 },
  '--size': { key: 'size', min: MIN_SIZE_PX, max: MAX_SIZE_PX },
  '--seed': { key: 'seed', min: 0, max: 0xffffffff },
} as const;

/**
 * Parses argv (without node and script). Returns null for `--help`.
 * @example parseCliArgs(['--out', 'data/phantom', '--size', '64']).size // 64
 */
export function parseCliArgs(argv: readonly string[]): PhantomCliOptions | null {
  const opts: Omit<PhantomCliOptions, 'out'> & { out?: string } = {
    sites: 3,
    cases: 120,
    size: 224,
    seed: 1,
    preview: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') return null;
    if (flag === '--preview') {
      opts.preview = true;
      continue;
    }
    const value = argv[i + 1];
    if (flag === '--out') {
      if (value === undefined || value.startsWith('--'))
        throw new UsageError('--out needs a folder path, e.g. --out data/phantom');
      opts.out = value;
      i++;
      continue;
    }
    if (!(flag in INTEGER_FLAGS))
      throw new UsageError(
        `unknown flag "${flag}"; expected one of --out, --sites, --cases, --size, --seed, --preview`,
      );
    const spec = INTEGER_FLAGS[flag as keyof typeof INTEGER_FLAGS];
    const n = value === undefined ? NaN : Number(value);
    if (
      value === undefined ||
      !/^\d+$/.test(value) ||
      !Number.isSafeInteger(n) ||
      n < spec.min ||
      n > spec.max
    )
      throw new UsageError(
        `${flag} ${value === undefined ? '(missing value)' : `"${value}"`} is not valid; expected an integer from ${spec.min} to ${spec.max}`,
      );
    opts[spec.key] = n;
    i++;
  }
  if (opts.out === undefined)
    throw new UsageError('--out DIR is required (the folder to write the sites into)');
  return { ...opts, out: opts.out };
}
