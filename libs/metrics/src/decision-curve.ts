/**
 * Decision-curve analysis (Vickers & Elkin, Med Decis Making 26:565, 2006). At a risk threshold t a
 * patient is treated iff the model's score is ≥ t; treating a true positive gains 1 and a false
 * positive costs the odds t/(1−t), so per patient
 *   net benefit    = TP/n − FP/n · t/(1−t),
 *   treat-all      = prevalence − (1 − prevalence) · t/(1−t),
 *   treat-none     = 0 (not stored).
 */

import { checkLabels, checkProbabilities, countPositives, MetricsInputError } from './validate';
import { STUDY_THRESHOLDS } from './study-grid';

/** Margin by which the model must beat max(treat-all, treat-none) at a threshold. */
const BEATS_MARGIN = 1e-12;

export interface DecisionCurve {
  thresholds: number[];
  net_benefit: number[];
  treat_all: number[];
  /** The run with the most thresholds (the lower one on a tie); null when the model never beats both. */
  range: [number, number] | null;
  /** Every maximal run of consecutive thresholds where net benefit > max(treat-all, 0) + 1e-12, as [first, last] thresholds. */
  runs: [number, number][];
}

/** Per-threshold true- and false-positive counts (score ≥ threshold): what a site shares for pooled curves. */
export interface ThresholdCounts {
  tp: number[];
  fp: number[];
}

export interface DecisionCurveCounts extends ThresholdCounts {
  n: number;
  n_pos: number;
  thresholds: ArrayLike<number>;
}

/**
 * A fresh copy of the study's grid ({@link STUDY_THRESHOLDS}, study-grid.ts).
 *
 * @example
 * defaultThresholds().slice(0, 3); // [0.01, 0.02, 0.03]
 */
export function defaultThresholds(): number[] {
  return [...STUDY_THRESHOLDS];
}

function checkThresholds(thresholds: ArrayLike<number>): void {
  if (thresholds.length === 0)
    throw new MetricsInputError(
      'thresholds is empty; expected at least one risk threshold',
      'thresholds',
      null,
    );
  for (let i = 0; i < thresholds.length; i++) {
    const t = thresholds[i]!;
    if (!(t > 0 && t < 1))
      throw new MetricsInputError(`thresholds[${i}] is ${t}; expected 0 < t < 1`, 'thresholds', i, t);
    if (i > 0 && !(t > thresholds[i - 1]!)) {
      throw new MetricsInputError(
        `thresholds[${i}] is ${t}, not above thresholds[${i - 1}] = ${thresholds[i - 1]}; expected increasing thresholds`,
        'thresholds',
        i,
        t,
      );
    }
  }
}

/**
 * True and false positives at each threshold, treating iff score ≥ t. Counts add across sites, so
 * {@link decisionCurveFromCounts} over summed counts is exactly the curve of the pooled cases.
 *
 * @example
 * thresholdCounts([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], [0.5]); // { tp: [1], fp: [1] }
 */
export function thresholdCounts(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  thresholds: ArrayLike<number>,
): ThresholdCounts {
  checkLabels(labels);
  checkProbabilities(probs, labels.length);
  checkThresholds(thresholds);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(probs[i]!);
  pos.sort((a, b) => a - b);
  neg.sort((a, b) => a - b);
  const atOrAbove = (sorted: number[], t: number): number => {
    // First index with sorted[i] ≥ t, by bisection.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return sorted.length - lo;
  };
  const tp: number[] = [];
  const fp: number[] = [];
  for (let j = 0; j < thresholds.length; j++) {
    tp.push(atOrAbove(pos, thresholds[j]!));
    fp.push(atOrAbove(neg, thresholds[j]!));
  }
  return { tp, fp };
}

/**
 * The decision curve from counts (n cases, n_pos positives, tp/fp per threshold), for pooling
 * sites' counts without patient-level data.
 *
 * @example
 * decisionCurveFromCounts({ n: 4, n_pos: 2, tp: [1], fp: [1], thresholds: [0.5] });
 * // net_benefit [1/4 − 1/4 · 1] = [0], treat_all [0.5 − 0.5 · 1] = [0], runs [], range null
 */
export function decisionCurveFromCounts(counts: DecisionCurveCounts): DecisionCurve {
  const { n, n_pos, tp, fp, thresholds } = counts;
  if (!(Number.isInteger(n) && n > 0))
    throw new MetricsInputError(`n is ${n}; expected a positive integer`, 'n', null, n);
  if (!(Number.isInteger(n_pos) && n_pos >= 0 && n_pos <= n))
    throw new MetricsInputError(`n_pos is ${n_pos}; expected an integer in [0, ${n}]`, 'n_pos', null, n_pos);
  checkThresholds(thresholds);
  if (tp.length !== thresholds.length || fp.length !== thresholds.length) {
    throw new MetricsInputError(
      `${tp.length} tp and ${fp.length} fp counts for ${thresholds.length} thresholds; expected one of each per threshold`,
      'tp',
      null,
    );
  }
  for (let j = 0; j < thresholds.length; j++) {
    const tpj = tp[j]!;
    const fpj = fp[j]!;
    if (!(Number.isInteger(tpj) && tpj >= 0 && tpj <= n_pos))
      throw new MetricsInputError(`tp[${j}] is ${tpj}; expected an integer in [0, ${n_pos}]`, 'tp', j, tpj);
    if (!(Number.isInteger(fpj) && fpj >= 0 && fpj <= n - n_pos))
      throw new MetricsInputError(
        `fp[${j}] is ${fpj}; expected an integer in [0, ${n - n_pos}]`,
        'fp',
        j,
        fpj,
      );
  }
  return netBenefitCurve(n, n_pos, thresholds, tp, fp);
}

/**
 * The curve of already checked counts, which may be estimates (pooled-decision-curve.ts interpolates
 * between a site's released thresholds): net benefit, treat-all, and the runs where the model beats both.
 *
 * @example netBenefitCurve(4, 2, [0.5], [1.5], [1]).net_benefit; // [1.5/4 − 1/4] = [0.125]
 */
export function netBenefitCurve(
  n: number,
  n_pos: number,
  thresholds: ArrayLike<number>,
  tp: ArrayLike<number>,
  fp: ArrayLike<number>,
): DecisionCurve {
  const prevalence = n_pos / n;
  const out: DecisionCurve = {
    thresholds: Array.from(thresholds),
    net_benefit: [],
    treat_all: [],
    range: null,
    runs: [],
  };
  let runStart = -1;
  const closeRun = (end: number): void => {
    if (runStart < 0) return;
    out.runs.push([out.thresholds[runStart]!, out.thresholds[end]!]);
    runStart = -1;
  };
  let best = -1;
  let bestLength = 0;
  for (let j = 0; j < thresholds.length; j++) {
    const t = thresholds[j]!;
    const tpj = tp[j]!;
    const fpj = fp[j]!;
    const odds = t / (1 - t);
    const nb = tpj / n - (fpj / n) * odds;
    const all = prevalence - (1 - prevalence) * odds;
    out.net_benefit.push(nb);
    out.treat_all.push(all);
    if (nb > Math.max(all, 0) + BEATS_MARGIN) {
      if (runStart < 0) runStart = j;
      if (j - runStart + 1 > bestLength) {
        bestLength = j - runStart + 1;
        best = runStart;
      }
    } else {
      closeRun(j - 1);
    }
  }
  closeRun(thresholds.length - 1);
  if (best >= 0) out.range = [out.thresholds[best]!, out.thresholds[best + bestLength - 1]!];
  return out;
}

/**
 * The decision curve of a model's predicted probabilities (labels 0/1), on the default grid
 * 0.01…0.99 or any increasing caller grid inside (0, 1), e.g. one spanning the study's 0.1706–0.6052.
 *
 * @example
 * decisionCurve([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], [0.3, 0.5]);
 * // t = 0.3: TP 2, FP 1, NB = 2/4 − 1/4 · 3/7 ≈ 0.3929 > treat-all 0.5 − 0.5 · 3/7 ≈ 0.2857
 */
export function decisionCurve(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  thresholds: ArrayLike<number> = defaultThresholds(),
): DecisionCurve {
  const { tp, fp } = thresholdCounts(labels, probs, thresholds);
  return decisionCurveFromCounts({ n: labels.length, n_pos: countPositives(labels), tp, fp, thresholds });
}
