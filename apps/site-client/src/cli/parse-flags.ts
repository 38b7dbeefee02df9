import { choiceFlag, integerIn, parseFlags, UsageError, type FlagOptions } from '@fedaln/cli-flags';

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
 * Parses the flags of `fedaln-site <command>` against `specs` with `parseArgs` (through
 * `parseFlags`: `--name value`, `--name=value`, `--switch`); other words are positionals, refused
 * unless `positionals` allows them. A flag given twice is refused too, as it is likely a mistake.
 * Every error names the command, the flag, the bad value and what was expected, e.g.
 * `fedaln-site predict: --batch "0" is not an integer ≥ 1; pass e.g. --batch 16`.
 *
 * @example
 * parseCommandFlags('predict', ['--batch', '8', 'a.png'], { batch: { kind: 'int', default: 16, min: 1, hint: '16' } }, { positionals: true });
 * // { flags: { batch: 8 }, positionals: ['a.png'] }
 */
export function parseCommandFlags<T extends Record<string, FlagSpec>>(
  command: string,
  argv: readonly string[],
  specs: T,
  { positionals: allowPositionals = false } = {},
): { flags: ParsedFlags<T>; positionals: string[] } {
  const options: FlagOptions = {};
  const expected: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.kind === 'switch' ? 'boolean' : 'string' };
    if (spec.kind !== 'switch') expected[name] = example(name, spec);
  }
  try {
    const { values, positionals, tokens } = parseFlags({
      args: argv,
      options,
      allowPositionals,
      help: 'fedaln-site --help',
      expected,
    });
    const given = new Set<string>();
    for (const token of tokens) {
      if (token.kind !== 'option') continue;
      if (given.has(token.name)) throw new UsageError(`--${token.name} is given twice; give it once`);
      given.add(token.name);
    }
    const flags: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(specs))
      flags[name] = convert(name, spec, values[name] as string | boolean | undefined);
    return { flags: flags as ParsedFlags<T>, positionals };
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`fedaln-site ${command}: ${err.message}`);
    throw err;
  }
}

function example(name: string, spec: Exclude<FlagSpec, { kind: 'switch' }>): string {
  if (spec.kind === 'choice') return `expected one of ${spec.values.join(', ')}`;
  return `pass e.g. --${name} ${spec.hint}`;
}

function convert(name: string, spec: FlagSpec, value: string | boolean | undefined): unknown {
  if (spec.kind === 'switch') return value === true;
  const text = value as string | undefined;
  const bad = (what: string): never => {
    throw new UsageError(`--${name} "${text}" ${what}; ${example(name, spec)}`);
  };
  switch (spec.kind) {
    case 'string':
      if (text === undefined) {
        if (spec.required) throw new UsageError(`--${name} is required; ${example(name, spec)}`);
        return spec.default;
      }
      if (text.trim() === '') bad('is empty');
      return text;
    case 'int': {
      if (text === undefined) return spec.default;
      const min = spec.min ?? 1;
      return integerIn(text, { min }) ?? bad(`is not an integer ≥ ${min}`);
    }
    case 'choice':
      return choiceFlag(`--${name}`, text, spec.values, spec.default);
  }
}
