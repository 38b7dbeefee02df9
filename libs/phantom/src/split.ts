/**
 * Seeded stratified train/test split: within each label, cases are shuffled (Fisher–Yates with the
 * phantom PRNG) and the first round(20 %) go to test, so both splits keep the site's prevalence
 * (the study's 8:2 split).
 */
import { Rng } from './prng';

export type Split = 'train' | 'test';

const SPLIT_STREAM = 0x5b1;

/**
 * Split of each case, in input order.
 * @example stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 1).filter((s) => s === 'test').length // 2
 */
export function stratifiedSplit(labels: readonly (0 | 1)[], seed: number, testFraction = 0.2): Split[] {
  const out: Split[] = labels.map(() => 'train');
  const rng = Rng.fromSeed(seed, SPLIT_STREAM);
  for (const label of [0, 1] as const) {
    const idx = labels.flatMap((l, i) => (l === label ? [i] : []));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const nTest = Math.round(idx.length * testFraction);
    for (const i of idx.slice(0, nTest)) out[i] = 'test';
  }
  return out;
}
