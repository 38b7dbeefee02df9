import { UsageError } from './usage-error';

export interface IntegerRange {
  min: number;
  /** Inclusive; none means any safe integer from `min`. */
  max?: number;
}

/**
 * `text` as an integer in `range`, or undefined. Decimal digits only: no sign, spaces, fraction or
 * exponent, so `"2.5e2"` and `" 8"` are refused rather than read as 250 and 8.
 *
 * @example integerIn('64', { min: 32 }) // 64
 */
export function integerIn(
  text: string,
  { min, max = Number.MAX_SAFE_INTEGER }: IntegerRange,
): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** What {@link integerFlag} expects, for messages: "an integer from 1 to 100". */
export function describeInteger({ min, max }: IntegerRange): string {
  return max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
}

/**
 * The value of an integer flag, or `range.default` when the flag is absent; a bad value throws a
 * {@link UsageError}: `--size "8" is not valid; expected an integer from 16 to 1024`.
 *
 * @example integerFlag('--size', '64', { min: 16, max: 1024, default: 224 }) // 64
 */
export function integerFlag(
  flag: string,
  text: string | undefined,
  range: IntegerRange & { default: number },
): number {
  if (text === undefined) return range.default;
  const n = integerIn(text, range);
  if (n === undefined)
    throw new UsageError(`${flag} "${text}" is not valid; expected ${describeInteger(range)}`);
  return n;
}

/**
 * The value of a flag that takes one of `choices`, or `fallback` when the flag is absent; another
 * value throws a {@link UsageError}: `--engine "gpu" is not a valid choice; expected one of auto, cpu`.
 *
 * @example choiceFlag('--split', 'all', ['test', 'train', 'all'], 'test') // 'all'
 */
export function choiceFlag<V extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly V[],
  fallback: V,
): V {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`${flag} "${text}" is not a valid choice; expected one of ${choices.join(', ')}`);
  return text as V;
}

export interface NumberRange {
  /** Exclusive lower bound. */
  above: number;
  /** Exclusive upper bound; none means any finite number above `above`. */
  below?: number;
}

/** What {@link numberFlag} expects, for messages: "a number above 0 and below 1". */
export function describeNumber({ above, below }: NumberRange): string {
  return below === undefined ? `a number above ${above}` : `a number above ${above} and below ${below}`;
}

/**
 * The value of a required real-number flag in the open interval `range`; a missing or bad value throws
 * a {@link UsageError}: `--delta "0" is not valid; expected a number above 0 and below 1`. Decimal and
 * exponent notation (`1e-5`) are accepted; spaces, hex, `Infinity` and `NaN` are not.
 *
 * @example numberFlag('--delta', '1e-5', { above: 0, below: 1 }) // 0.00001
 */
export function numberFlag(flag: string, text: string | undefined, range: NumberRange): number {
  if (text === undefined) throw new UsageError(`missing ${flag}; expected ${describeNumber(range)}`);
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  const { above, below = Infinity } = range;
  if (!(Number.isFinite(n) && n > above && n < below))
    throw new UsageError(`${flag} "${text}" is not valid; expected ${describeNumber(range)}`);
  return n;
}
