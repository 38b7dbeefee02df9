import { UsageError } from './usage-error';

/** What one `--flag` takes: a string, a positive integer, a choice from a list, or nothing (a switch). */
export type FlagSpec =
  | { kind: 'string'; required?: boolean; default?: string; hint: string }
  | { kind: 'int'; default: number; min?: number; hint: string }
  | { kind: 'choice'; values: readonly string[]; default: string }
  | { kind: 'switch' };

export type FlagValue<S extends FlagSpec> = S extends { kind: 'int' }
  ? number
  : S extends { kind: 'switch' }
    ? boolean
    : S extends { kind: 'string'; required: true }
      ? string
      : S extends { kind: 'string'; default: string }
        ? string
        : S extends { kind: 'choice' }
          ? string
          : string | undefined;

export type ParsedFlags<T extends Record<string, FlagSpec>> = { [K in keyof T]: FlagValue<T[K]> };

/**
 * Parses `--name value`, `--name=value` and `--switch` against `specs`; other words are positionals.
 * Every error names the flag, the bad value and what was expected, e.g.
 * `--batch "0" is not an integer ≥ 1; pass e.g. --batch 16`.
 *
 * @example
 * parseFlags('predict', ['--batch', '8', 'a.png'], { batch: { kind: 'int', default: 16, min: 1, hint: '16' } });
 * // { flags: { batch: 8 }, positionals: ['a.png'] }
 */
export function parseFlags<T extends Record<string, FlagSpec>>(
  command: string,
  argv: readonly string[],
  specs: T,
): { flags: ParsedFlags<T>; positionals: string[] } {
  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('--')) {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (spec === undefined) {
      const known = Object.keys(specs)
        .map((k) => `--${k}`)
        .join(', ');
      throw new UsageError(`fedaln-site ${command}: unknown flag --${name}; expected one of ${known}`);
    }
    if (raw.has(name)) throw new UsageError(`fedaln-site ${command}: --${name} is given twice; give it once`);
    if (spec.kind === 'switch') {
      if (eq >= 0)
        throw new UsageError(`fedaln-site ${command}: --${name} takes no value; write just --${name}`);
      raw.set(name, true);
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`fedaln-site ${command}: --${name} needs a value; ${example(name, spec)}`);
    }
    raw.set(name, value);
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) flags[name] = convert(command, name, spec, raw.get(name));
  return { flags: flags as ParsedFlags<T>, positionals };
}

function example(name: string, spec: Exclude<FlagSpec, { kind: 'switch' }>): string {
  if (spec.kind === 'choice') return `expected one of ${spec.values.join(', ')}`;
  return `pass e.g. --${name} ${spec.hint}`;
}

function convert(command: string, name: string, spec: FlagSpec, value: string | true | undefined): unknown {
  if (spec.kind === 'switch') return value === true;
  const text = value as string | undefined;
  const bad = (what: string): never => {
    throw new UsageError(`fedaln-site ${command}: --${name} "${text}" ${what}; ${example(name, spec)}`);
  };
  switch (spec.kind) {
    case 'string':
      if (text === undefined) {
        if (spec.required)
          throw new UsageError(`fedaln-site ${command}: --${name} is required; ${example(name, spec)}`);
        return spec.default;
      }
      if (text.trim() === '') bad('is empty');
      return text;
    case 'int': {
      if (text === undefined) return spec.default;
      const n = Number(text);
      const min = spec.min ?? 1;
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min)
        bad(`is not an integer ≥ ${min}`);
      return n;
    }
    case 'choice':
      if (text === undefined) return spec.default;
      if (!spec.values.includes(text)) bad('is not a valid choice');
      return text;
  }
}
