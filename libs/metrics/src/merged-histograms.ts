/**
 * The score histograms a site releases: per-class counts in bins merged until every count obeys the
 * privacy rule (privacy-rule.ts: 0 or ≥ k cases of a class per bin).
 *
 * How bins are merged. The fine bins are the study's 0.01-wide cells (`scoreHistograms`). Starting
 * from one bin [0, 1], a bin is split in two at the first of its candidate edges — its half, then its
 * quarters, then its eighths, coarsest first ({@link candidateEdges}) — where both sides obey the
 * rule and holds a case, and each side is split the same way, down to single cells. A bin none of
 * whose candidates works is released whole. (An empty side is not split off: that would put an edge
 * at the lowest or highest case's cell.) What the partition itself says: that at each unused coarser candidate one
 * side held between 1 and k − 1 cases of a class — a count below k inferred over a wide interval,
 * never where in it, nor which case. (A greedy "close the bin as soon as it holds k" sweep would put an
 * edge right after the k-th case and so give that case's score to 0.01; coarse-first candidates do
 * not: an edge is tried at 0.01 resolution only inside a bin already narrowed down by coarser ones.)
 *
 * Every released bin starts and ends on the study grid k/100, so the threshold counts at the bin
 * edges are sums of whole bins ({@link mergedThresholdCounts}), and obey the rule too.
 */

import { releasableCount } from './privacy-rule';
import type { ScoreHistograms, ThresholdCountsOnGrid } from './site-histograms';
import { MetricsInputError } from './validate';

/** Per-class counts in merged bins of [0, 1]: the wire `score_histograms`. */
export interface MergedScoreHistograms {
  /** The resolution of the edges: bin j holds scores in [edges[j]/bins, edges[j+1]/bins) (the last bin also 1). */
  bins: number;
  /** m + 1 increasing integers, 0 first and `bins` last. */
  edges: number[];
  /** positive[j]: positives in bin j (m counts). */
  positive: number[];
  /** negative[j]: negatives in bin j (m counts). */
  negative: number[];
}

/** How many levels of halving a bin's candidate edges go down: halves, quarters, eighths. */
const CANDIDATE_DEPTH = 3;

/**
 * The candidate edges inside fine bins [a, b), coarsest first: the half, then the quarters, then the
 * eighths of the bin (on the fine grid).
 *
 * @example candidateEdges(0, 100); // [50, 25, 75, 12, 37, 62, 87]
 */
export function candidateEdges(a: number, b: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= CANDIDATE_DEPTH; d++)
    for (let i = 1; i < 2 ** d; i += 2) {
      const p = a + Math.floor((i * (b - a)) / 2 ** d);
      if (p > a && p < b && !out.includes(p)) out.push(p);
    }
  return out;
}

/**
 * Merges fine histograms by splitting [0, 1] at candidate edges while every bin's count of each
 * class stays 0 or at least `k` (see the file comment). A class with fewer than k cases in all leaves
 * one bin [0, 1].
 *
 * @throws MetricsInputError for k not an integer ≥ 1.
 * @example
 * mergeScoreHistograms({ bins: 4, positive: [0, 0, 3, 5], negative: [6, 2, 0, 0] }, 5);
 * // [0, 0.5) has 0 pos/8 neg and [0.5, 1) 8 pos/0 neg: split; [0, 0.25)/[0.25, 0.5) would
 * // release 2 negatives, [0.5, 0.75) 3 positives: not split.
 * // { bins: 4, edges: [0, 2, 4], positive: [0, 8], negative: [8, 0] }
 */
export function mergeScoreHistograms(fine: ScoreHistograms, k: number): MergedScoreHistograms {
  if (!(Number.isInteger(k) && k >= 1))
    throw new MetricsInputError(`k is ${k}; expected an integer ≥ 1`, 'k', null, k);
  const { bins, positive, negative } = fine;
  const pos = [0];
  const neg = [0];
  for (let b = 0; b < bins; b++) {
    pos.push(pos[b]! + positive[b]!);
    neg.push(neg[b]! + negative[b]!);
  }
  // A side must hold a case: carving off empty cells would put an edge right at the lowest or highest
  // case's cell.
  const fits = (a: number, b: number): boolean => {
    const [p, q] = [pos[b]! - pos[a]!, neg[b]! - neg[a]!];
    return p + q > 0 && releasableCount(p, k) && releasableCount(q, k);
  };
  const edges = [0];
  const split = (a: number, b: number): void => {
    const at = candidateEdges(a, b).find((p) => fits(a, p) && fits(p, b));
    if (at === undefined) edges.push(b);
    else {
      split(a, at);
      split(at, b);
    }
  };
  split(0, bins);
  return {
    bins,
    edges,
    positive: edges.slice(1).map((e, j) => pos[e]! - pos[edges[j]!]!),
    negative: edges.slice(1).map((e, j) => neg[e]! - neg[edges[j]!]!),
  };
}

/**
 * The threshold counts a merged histogram gives: at each inner edge e (threshold t = e/bins, the
 * same float64 as the study grid's k/100 when bins = 100), the cases in the bins from e on — cases with
 * score ≥ t. Only inner edges are thresholds: between two edges the counts are not released.
 *
 * @example
 * mergedThresholdCounts({ bins: 100, edges: [0, 50, 100], positive: [2, 8], negative: [9, 1] });
 * // { thresholds: [0.5], tp: [8], fp: [1] }
 */
export function mergedThresholdCounts(h: MergedScoreHistograms): ThresholdCountsOnGrid {
  const thresholds: number[] = [];
  const tp: number[] = [];
  const fp: number[] = [];
  let above = { tp: 0, fp: 0 };
  for (let j = h.edges.length - 2; j >= 1; j--) {
    above = { tp: above.tp + h.positive[j]!, fp: above.fp + h.negative[j]! };
    thresholds.unshift(h.edges[j]! / h.bins);
    tp.unshift(above.tp);
    fp.unshift(above.fp);
  }
  return { thresholds, tp, fp };
}

/**
 * A fine histogram as a merged one whose every bin is released as it is (edges 0, 1, …, bins): for
 * the exact pooled figures a test compares against, never for a report.
 *
 * @example unmergedHistograms({ bins: 2, positive: [1, 1], negative: [1, 0] }).edges; // [0, 1, 2]
 */
export function unmergedHistograms(fine: ScoreHistograms): MergedScoreHistograms {
  return {
    bins: fine.bins,
    edges: Array.from({ length: fine.bins + 1 }, (_, b) => b),
    positive: [...fine.positive],
    negative: [...fine.negative],
  };
}
