/**
 * The split column the phantom writes: the project's stratified 80/20 split (@fedaln/site-data)
 * with both classes shuffled by one xoshiro stream of the site's seed, the stream the phantom's
 * files have always used.
 */
import { type Split, stratifiedSplit } from '@fedaln/site-data';
import { Rng } from './prng';

const SPLIT_STREAM = 0x5b1;

/**
 * Split of each case, in input order.
 * @example phantomSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 1).filter((s) => s === 'test').length // 2
 */
export function phantomSplit(labels: readonly (0 | 1)[], seed: number): Split[] {
  const rng = Rng.fromSeed(seed, SPLIT_STREAM);
  return stratifiedSplit(labels, { random: () => rng });
}
