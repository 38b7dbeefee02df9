/**
 * Order statistics of one coordinate across a round's updates: the robust aggregators and the
 * screening centre work one column of K values (K = the round's updates, a few to a few hundred)
 * at a time, so these take a scratch column and its length instead of allocating.
 */

/**
 * Sorts `col[0..k)` ascending in place. Insertion sort: K is small and the column is rebuilt for
 * every coordinate, where it beats `TypedArray.prototype.sort` (no call, no allocation).
 *
 * @example
 * const col = Float64Array.of(3, 1, 2); sortColumn(col, 3); // col = [1, 2, 3]
 */
export function sortColumn(col: Float64Array, k: number): void {
  for (let i = 1; i < k; i++) {
    const v = col[i] as number;
    let j = i - 1;
    while (j >= 0 && (col[j] as number) > v) {
      col[j + 1] = col[j] as number;
      j--;
    }
    col[j + 1] = v;
  }
}

/**
 * The median of a sorted column: the middle value for odd k, the mean of the two middle values for
 * even k (numpy.median's definition; Flower's FedMedian takes `np.median` per coordinate).
 *
 * @example
 * medianOfSorted(Float64Array.of(1, 2, 4, 8), 4); // 3
 */
export function medianOfSorted(col: Float64Array, k: number): number {
  if (k < 1) throw new Error('the median of no values is undefined');
  const h = k >> 1;
  return k % 2 === 1 ? (col[h] as number) : ((col[h - 1] as number) + (col[h] as number)) / 2;
}

/**
 * How many values the trimmed mean cuts from each end: ⌊β·k⌋ (scipy.stats.trim_mean's
 * `proportiontocut`, which Flower's FedTrimmedAvg uses).
 */
export function trimCount(k: number, beta: number): number {
  return Math.floor(beta * k);
}

/**
 * The β-trimmed mean of a sorted column: the mean of col[c..k−c), c = ⌊β·k⌋ (scipy.stats.trim_mean).
 * β in [0, 0.5): at least one value is kept.
 *
 * @example
 * trimmedMeanOfSorted(Float64Array.of(-100, 1, 2, 3, 100), 5, 0.2); // (1 + 2 + 3) / 3 = 2
 */
export function trimmedMeanOfSorted(col: Float64Array, k: number, beta: number): number {
  const c = trimCount(k, beta);
  if (!(beta >= 0 && beta < 0.5) || k - 2 * c < 1) {
    throw new Error(`trimmed mean: β ${beta} must be in [0, 0.5) and leave a value of ${k}`);
  }
  let sum = 0;
  for (let i = c; i < k - c; i++) sum += col[i] as number;
  return sum / (k - 2 * c);
}

/**
 * The median of a list of numbers (numpy.median), for per-update statistics such as norms.
 *
 * @example
 * medianOf([3, 1, 2]); // 2
 */
export function medianOf(values: readonly number[]): number {
  const col = Float64Array.from(values);
  sortColumn(col, col.length);
  return medianOfSorted(col, col.length);
}
