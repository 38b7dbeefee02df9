import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

/** The flags a command takes, declared as for `node:util` `parseArgs`. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export interface FlagsConfig<O extends FlagOptions = FlagOptions> {
  /** The words after the command (without `node` and the script). */
  args: readonly string[];
  options: O;
  /** Whether words that are not flags are allowed; they come back as `positionals`. */
  allowPositionals?: boolean;
  /** Where the user finds help, named by the messages: `fedaln-phantom --help`. */
  help: string;
  /** Per flag, what to pass, said when its value is missing: `{ out: 'pass e.g. --out data/phantom' }`. */
  expected?: { readonly [K in keyof O]?: string };
}

type Parsed<C extends FlagsConfig> = ReturnType<
  typeof parseArgs<Omit<C, 'help' | 'expected'> & { strict: true; tokens: true }>
>;

/**
 * `parseArgs` with `strict: true` (and `tokens`), whose errors become a {@link UsageError} that names
 * the flag or word at fault and what was expected, instead of node's `ERR_PARSE_ARGS_*` text:
 * - `unknown flag "--colour"; expected one of --out, --sites (see fedaln-phantom --help)`
 * - `--seed needs a value; expected an integer from 0 to 4294967295` (the `expected` text, else "see …")
 * - `--release "-1" starts with "-" like a flag; if it is the value, write --release=-1`
 * - `--once takes no value; write just --once`
 * - `unexpected argument "extra"; see fedaln-site --help`
 *
 * @example
 * parseFlags({ args: ['--json'], options: { json: { type: 'boolean' } }, help: 'x --help' }).values.json; // true
 */
export function parseFlags<C extends FlagsConfig>(config: C): Parsed<C> {
  const { args, options, allowPositionals = false } = config;
  try {
    return parseArgs({ args, options, allowPositionals, strict: true, tokens: true }) as Parsed<C>;
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    throw new UsageError(firstProblem(config) ?? `${err.message}; see ${config.help}`);
  }
}

function isParseArgsError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * The first word strict parsing refuses, found in the tokens of a lenient parse (node's messages do
 * not carry the flag as data). Checked in the order node checks them, so it is the word it refused.
 */
function firstProblem({ args, options, allowPositionals, help, expected }: FlagsConfig): string | undefined {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const shorts = new Set(Object.values(options).map((o) => `-${o.short}`));
  const looksLikeFlag = (word: string) => word.startsWith('--') || shorts.has(word);
  for (const token of tokens) {
    if (token.kind === 'positional' && !allowPositionals)
      return `unexpected argument "${token.value}"; see ${help}`;
    if (token.kind !== 'option') continue;
    const flag = `--${token.name}`;
    if (!Object.hasOwn(options, token.name)) {
      const known = Object.keys(options)
        .filter((name) => name !== 'help')
        .map((name) => `--${name}`)
        .join(', ');
      return `unknown flag "${token.rawName}"; expected one of ${known} (see ${help})`;
    }
    const { value, inlineValue } = token;
    if (options[token.name]!.type === 'boolean') {
      if (value !== undefined) return `${flag} takes no value; write just ${flag}`;
    } else if (value === undefined || (!inlineValue && looksLikeFlag(value))) {
      return `${flag} needs a value; ${expected?.[token.name] ?? `see ${help}`}`;
    } else if (!inlineValue && value.length > 1 && value.startsWith('-')) {
      return `${flag} "${value}" starts with "-" like a flag; if it is the value, write ${flag}=${value}`;
    }
  }
  return undefined;
}
