import { argsort } from './sort';

/**
 * Mid-ranks (1-based): the rank of each value in ascending order, ties sharing the average of the
 * ranks they span — a tie group occupying sorted positions k+1 … e gets (k + 1 + e)/2. Same as R's
 * `rank(x, ties.method = "average")` and scipy's `rankdata(x)`. O(n log n): one stable argsort
 * ({@link argsort}) and one pass over the tie groups. Every mid-rank is a multiple of ½, so sums of
 * mid-ranks are exact in float64 up to 2^52.
 *
 * @example midRanks([0.2, 0.9, 0.2, 0.5]) // Float64Array [1.5, 4, 1.5, 3]
 */
export function midRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = argsort(values);
  const ranks = new Float64Array(n);
  let k = 0;
  while (k < n) {
    const v = values[order[k]!]!;
    let e = k + 1;
    while (e < n && values[order[e]!] === v) e++;
    const r = (k + 1 + e) / 2;
    for (let j = k; j < e; j++) ranks[order[j]!] = r;
    k = e;
  }
  return ranks;
}
