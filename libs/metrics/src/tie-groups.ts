import { sortedCopy } from './sort';
import { checkLabelsScores, countPositives } from './validate';

/** All scores cut into groups of equal score, ascending, with the class counts of each group. */
export interface TieGroups {
  /** The distinct scores, ascending (−0 reported as 0). */
  values: Float64Array;
  /** Number of positives (label 1) with each score. */
  positives: Float64Array;
  /** Number of negatives (label 0) with each score. */
  negatives: Float64Array;
  nPositive: number;
  nNegative: number;
}

/**
 * The tie structure every rank metric needs — AUC, DeLong's variance and the ROC curve are sums over
 * these groups — in O(n log n): the positives' and the negatives' scores are sorted separately (as in
 * Sun & Xu 2014) and merged; each distinct score becomes one group with its counts of each class.
 *
 * @throws MetricsInputError on bad labels or scores.
 * @example tieGroups([0, 1, 1, 0], [0.5, 0.5, 0.9, 0.1])
 * // { values: [0.1, 0.5, 0.9], positives: [0, 1, 1], negatives: [1, 1, 0], nPositive: 2, nNegative: 2 }
 */
export function tieGroups(labels: ArrayLike<number>, scores: ArrayLike<number>, field = 'scores'): TieGroups {
  checkLabelsScores(labels, scores, field);
  const n = labels.length;
  const nPos = countPositives(labels);
  const nNeg = n - nPos;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (labels[i] === 1) pos[a++] = scores[i]!;
    else neg[b++] = scores[i]!;
  }
  const sp = sortedCopy(pos);
  const sn = sortedCopy(neg);

  const values = new Float64Array(n);
  const positives = new Float64Array(n);
  const negatives = new Float64Array(n);
  let g = 0;
  let i = 0;
  let j = 0;
  while (i < nPos || j < nNeg) {
    const v = j >= nNeg || (i < nPos && sp[i]! < sn[j]!) ? sp[i]! : sn[j]!;
    const i0 = i;
    const j0 = j;
    while (i < nPos && sp[i] === v) i++;
    while (j < nNeg && sn[j] === v) j++;
    values[g] = v;
    positives[g] = i - i0;
    negatives[g] = j - j0;
    g++;
  }
  return {
    values: values.slice(0, g),
    positives: positives.slice(0, g),
    negatives: negatives.slice(0, g),
    nPositive: nPos,
    nNegative: nNeg,
  };
}
