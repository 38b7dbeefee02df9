/**
 * Stratified train/test split (the study's 8:2 split, DESIGN.md "Data at a site"): within each
 * class, a seeded Fisher–Yates shuffle, and the first round(n_c · testFraction) cases of that class
 * go to test, so both splits keep the class ratio.
 */
import type { Split } from './labels-schema';
import { createPrng, deriveSeed, shuffledIndices, type UniformInt } from './prng';

/** The study's 8:2 split. */
export const DEFAULT_TEST_FRACTION = 0.2;

export interface StratifiedSplitOptions {
  /** The generator that shuffles the cases of class `label`; asked for class 0, then class 1. */
  random: (label: 0 | 1) => UniformInt;
  /** Test share of each class, in [0, 1]; default {@link DEFAULT_TEST_FRACTION}. */
  testFraction?: number;
}

/**
 * The split of each label, in input order.
 * @example
 * const rng = Xoshiro128StarStar.fromSeed(1);
 * stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], { random: () => rng }); // one 0 and one 1 in 'test'
 */
export function stratifiedSplit(labels: readonly (0 | 1)[], options: StratifiedSplitOptions): Split[] {
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (!(testFraction >= 0 && testFraction <= 1)) {
    throw new RangeError(`test fraction ${testFraction} is not in [0, 1]`);
  }
  const splits: Split[] = labels.map(() => 'train');
  for (const label of [0, 1] as const) {
    const members = labels.flatMap((y, i) => (y === label ? [i] : []));
    const order = shuffledIndices(members.length, options.random(label));
    const nTest = Math.round(members.length * testFraction);
    for (let k = 0; k < nTest; k++) splits[members[order[k]!]!] = 'test';
  }
  return splits;
}

/**
 * The seeded split of a site folder's rows without a `split` value: class c is shuffled by
 * `createPrng(deriveSeed(seed, c))` (mulberry32), the stream every site's existing split comes from.
 * @example seededSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], { seed: 7 }) // one 0 and one 1 in 'test'
 */
export function seededSplit(
  labels: readonly (0 | 1)[],
  options: { seed: number; testFraction?: number },
): Split[] {
  return stratifiedSplit(labels, {
    random: (label) => createPrng(deriveSeed(options.seed, label)),
    testFraction: options.testFraction,
  });
}

/**
 * Stream key of the validation hold-out ('val' in ASCII), so its shuffle is unrelated to the train/test
 * split's (which uses `deriveSeed(seed, label)`).
 */
const VALIDATION_STREAM = 0x76616c;

/**
 * Holds out a seeded stratified validation split from a site's train cases (model selection and the
 * post-training fits, README "Model selection, recalibration and the combined nomogram"): within each
 * class, a mulberry32 Fisher–Yates shuffle seeded by `deriveSeed(seed, 0x76616c, label)`, and the first
 * round(n_c · fraction) cases go to validation ({@link stratifiedSplit}). Fraction 0 keeps every case for
 * training (studies made before issue 15). The order of `cases` is kept within each part.
 *
 * @example
 * const { train, validation } = validationHoldOut(trainCases, { seed: 7, fraction: 0.2 });
 */
export function validationHoldOut<T extends { readonly label: 0 | 1 }>(
  cases: readonly T[],
  options: { seed: number; fraction: number },
): { train: T[]; validation: T[] } {
  if (!(options.fraction >= 0 && options.fraction < 1))
    throw new RangeError(`validation fraction ${options.fraction} is not in [0, 1)`);
  const parts = stratifiedSplit(
    cases.map((c) => c.label),
    {
      random: (label) => createPrng(deriveSeed(options.seed, VALIDATION_STREAM, label)),
      testFraction: options.fraction,
    },
  );
  return {
    train: cases.filter((_, i) => parts[i] === 'train'),
    validation: cases.filter((_, i) => parts[i] === 'test'),
  };
}
