/**
 * Seeded stratified train/test split (the study's 8:2 split, DESIGN.md "Data at a site"): within
 * each class, a seeded shuffle, and round(n_c · testFraction) cases of that class go to test, so
 * both splits keep the class ratio.
 */
import { createPrng, deriveSeed, shuffledIndices } from '../train/prng';

export type Split = 'train' | 'test';

/**
 * Assigns each label a split.
 * @example stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 0.2, 7) // one 0 and one 1 in 'test'
 */
export function stratifiedSplit(labels: readonly (0 | 1)[], testFraction: number, seed: number): Split[] {
  if (!(testFraction >= 0 && testFraction <= 1)) {
    throw new Error(`test fraction ${testFraction} is not in [0, 1]`);
  }
  const splits: Split[] = labels.map(() => 'train');
  for (const cls of [0, 1] as const) {
    const members = labels.flatMap((y, i) => (y === cls ? [i] : []));
    const order = shuffledIndices(members.length, createPrng(deriveSeed(seed, cls)));
    const nTest = Math.round(members.length * testFraction);
    for (let k = 0; k < nTest; k++) splits[members[order[k]!]!] = 'test';
  }
  return splits;
}
