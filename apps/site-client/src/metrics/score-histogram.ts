/**
 * Per-class histograms of scores in `bins` equal-width bins of [0, 1]: bin k holds scores in
 * [k/bins, (k+1)/bins), the last bin also holds 1. Aggregate counts only, so the coordinator can pool
 * score distributions across sites without any per-case score (DESIGN.md "Evaluation and release").
 *
 * @example
 * scoreHistograms([0, 1, 1], [0.05, 0.95, 1], 10); // { bins: 10, positive: [0,…,0,2], negative: [1,0,…,0] }
 */
export function scoreHistograms(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  bins: number,
): { bins: number; positive: number[]; negative: number[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins ${bins} is not a positive integer`);
  if (labels.length !== scores.length) {
    throw new RangeError(`${labels.length} labels but ${scores.length} scores`);
  }
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1)) throw new RangeError(`score ${i} is ${s}; expected a probability in [0, 1]`);
    const k = Math.min(bins - 1, Math.floor(s * bins));
    (labels[i] === 1 ? positive : negative)[k]!++;
  }
  return { bins, positive, negative };
}
