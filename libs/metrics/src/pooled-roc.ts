/**
 * Pooled ROC curve and AUC from sites' per-class score histograms, so the coordinator never sees a
 * case's score.
 *
 * Binned AUC. With P positives, N negatives and pos_b, neg_b of them in bin b (bins ordered by
 * score), treat every pair in one bin as a tie:
 *
 *   AUC_binned = Σ_b pos_b · (neg_<b + ½·neg_b) / (P·N),   neg_<b = negatives in bins below b.
 *
 * Error bound (derived here). The exact AUC is (1/PN) Σ_{pairs} ψ(s⁺, s⁻), ψ = 1 if s⁺ > s⁻, ½ if
 * equal, 0 if below (Mann–Whitney; `auc`). The bin of a score is non-decreasing in the score
 * (`histogramBin`), so a pair in different bins is ordered by its bins: ψ is 1 exactly when the
 * positive's bin is higher, as in AUC_binned. Only the pos_b·neg_b pairs sharing a bin differ: the
 * binned sum counts each as ½, the exact ψ lies in [0, 1]. Hence
 *
 *   |AUC_binned − AUC_exact| ≤ ½ · Σ_b pos_b·neg_b / (P·N),
 *
 * attained when in every bin all positives score above all negatives (or all below). It shrinks
 * with finer bins, and is 0 when no bin holds both classes. Summing histograms over sites and then
 * applying this is the same as binning the concatenated scores, so the bound holds for the pooled
 * AUC of the concatenated predictions.
 */

import { delong, type DelongAuc } from './delong';
import { checkBins, type ScoreHistograms } from './site-histograms';
import { MetricsInputError } from './validate';

/** The ROC curve and AUC of binned scores; see {@link histogramRoc}. */
export interface HistogramRoc {
  bins: number;
  n_pos: number;
  n_neg: number;
  /** AUC_binned; null when a class is empty. */
  auc: number | null;
  /** ½·Σ pos_b·neg_b/(P·N) ≥ |auc − exact AUC|; null with auc. */
  auc_error_bound: number | null;
  /**
   * Rule "positive iff score ≥ threshold" at the bin edges: +∞ (nobody; JSON null), then
   * (bins−1)/bins down to 0 (everybody).
   */
  thresholds: number[];
  /** False-positive rate at each threshold; empty when a class is empty. */
  fpr: number[];
  /** True-positive rate at each threshold; empty when a class is empty. */
  tpr: number[];
}

function checkHistogram(h: ScoreHistograms, field: string): void {
  checkBins(h.bins, `${field}.bins`);
  for (const cls of ['positive', 'negative'] as const) {
    const counts = h[cls];
    if (!Array.isArray(counts) || counts.length !== h.bins)
      throw new MetricsInputError(
        `${field}.${cls} has ${Array.isArray(counts) ? counts.length : typeof counts} entries; expected one count per bin (${h.bins})`,
        `${field}.${cls}`,
        null,
      );
    counts.forEach((c, b) => {
      if (!(Number.isInteger(c) && c >= 0))
        throw new MetricsInputError(
          `${field}.${cls}[${b}] is ${c}; expected a count (integer ≥ 0)`,
          `${field}.${cls}`,
          b,
          c,
        );
    });
  }
}

/**
 * The bin-by-bin sum of several sites' histograms, which must have the same bin count.
 *
 * @throws MetricsInputError naming `histograms[i]` for a different bin count or a bad count.
 * @example
 * sumScoreHistograms([
 *   { bins: 2, positive: [0, 1], negative: [2, 0] },
 *   { bins: 2, positive: [1, 1], negative: [1, 1] },
 * ]); // { bins: 2, positive: [1, 2], negative: [3, 1] }
 */
export function sumScoreHistograms(histograms: readonly ScoreHistograms[]): ScoreHistograms {
  const first = histograms[0];
  if (first === undefined)
    throw new MetricsInputError('no histograms; expected at least one site', 'histograms', null);
  const bins = first.bins;
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  histograms.forEach((h, i) => {
    checkHistogram(h, `histograms[${i}]`);
    if (h.bins !== bins)
      throw new MetricsInputError(
        `histograms[${i}].bins is ${h.bins} but histograms[0].bins is ${bins}; every site must use the same bins`,
        `histograms[${i}].bins`,
        null,
        h.bins,
      );
    for (let b = 0; b < bins; b++) {
      positive[b] = positive[b]! + h.positive[b]!;
      negative[b] = negative[b]! + h.negative[b]!;
    }
  });
  return { bins, positive, negative };
}

/**
 * ROC curve, binned AUC and its error bound (see the file comment) of one histogram pair. The
 * trapezoidal area under the returned curve is the binned AUC (a bin's pairs as ties = the
 * diagonal segment through the bin).
 *
 * @example
 * const r = histogramRoc({ bins: 2, positive: [1, 2], negative: [3, 1] });
 * r.auc; // (1·(0 + 3/2) + 2·(3 + 1/2)) / (3·4) = 8.5/12 ≈ 0.7083
 * r.auc_error_bound; // ½·(1·3 + 2·1)/12 = 5/24 ≈ 0.2083
 * r.fpr; // [0, 0.25, 1]   r.tpr: [0, 2/3, 1]
 */
export function histogramRoc(h: ScoreHistograms): HistogramRoc {
  checkHistogram(h, 'histogram');
  const { bins, positive, negative } = h;
  let nPos = 0;
  let nNeg = 0;
  for (let b = 0; b < bins; b++) {
    nPos += positive[b]!;
    nNeg += negative[b]!;
  }
  const thresholds = [Infinity];
  for (let b = bins - 1; b >= 0; b--) thresholds.push(b / bins);
  const empty = { bins, n_pos: nPos, n_neg: nNeg, thresholds, fpr: [], tpr: [] };
  if (nPos === 0 || nNeg === 0) return { ...empty, auc: null, auc_error_bound: null };

  // Integer sums (exact up to 2^53) so the AUC is one correctly rounded division.
  let pairsAbove = 0; // 2·Σ pos_b·(neg_<b + ½ neg_b)
  let pairsTied = 0; // Σ pos_b·neg_b
  let negBelow = 0;
  for (let b = 0; b < bins; b++) {
    pairsAbove += positive[b]! * (2 * negBelow + negative[b]!);
    pairsTied += positive[b]! * negative[b]!;
    negBelow += negative[b]!;
  }
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let b = bins - 1; b >= 0; b--) {
    tp += positive[b]!;
    fp += negative[b]!;
    fpr.push(fp / nNeg);
    tpr.push(tp / nPos);
  }
  return {
    ...empty,
    auc: pairsAbove / (2 * nPos * nNeg),
    auc_error_bound: pairsTied / (2 * nPos * nNeg),
    fpr,
    tpr,
  };
}

/**
 * The pooled ROC curve and AUC of several sites: {@link histogramRoc} of their summed histograms.
 *
 * @example
 * pooledRoc([siteA.score_histograms, siteB.score_histograms]).auc;
 */
export function pooledRoc(histograms: readonly ScoreHistograms[]): HistogramRoc {
  return histogramRoc(sumScoreHistograms(histograms));
}

/**
 * DeLong's AUC, variance and 95% CI (see `delong`) of the binned scores: every case scored at its
 * bin's midpoint, so a bin is one tie group. The AUC is {@link histogramRoc}'s binned AUC; the CI
 * treats the pooled cases as one sample (site clustering is ignored) and is for the binned scores,
 * whose AUC is within `auc_error_bound` of the exact one. Matches pROC `var(roc, method = "delong")`
 * on midpoint scores (fixtures/make_histogram_fixtures.R).
 *
 * @returns null when a class is empty; variance and ci null when a class has one case.
 * @example
 * histogramDelong({ bins: 2, positive: [1, 2], negative: [3, 1] })?.auc; // 8.5/12
 */
export function histogramDelong(h: ScoreHistograms): DelongAuc | null {
  checkHistogram(h, 'histogram');
  const labels: number[] = [];
  const scores: number[] = [];
  for (let b = 0; b < h.bins; b++) {
    const mid = (b + 0.5) / h.bins;
    const p = h.positive[b]!;
    const q = h.negative[b]!;
    for (let i = 0; i < p + q; i++) {
      labels.push(i < p ? 1 : 0);
      scores.push(mid);
    }
  }
  return delong(labels, scores);
}
