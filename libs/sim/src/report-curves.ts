/**
 * The curves a simulated study's HTML report draws for a model on the external cases: its ROC
 * curve (thinned to at most ~100 points), its reliability diagram (deciles of predicted risk: mean
 * predicted vs observed rate) and its decision curve on the study's threshold grid.
 */
import { decisionCurve, rocCurve } from '@fedaln/metrics';

export interface RocPoints {
  fpr: number[];
  tpr: number[];
}

export interface CalibrationBins {
  predicted: number[];
  observed: number[];
  n: number[];
}

export interface DecisionCurvePoints {
  thresholds: number[];
  net_benefit: number[];
  treat_all: number[];
}

/** At most this many ROC points are kept (every curve keeps its first and last point). */
const ROC_POINTS = 100;

/** The ROC curve thinned to ≤ ~100 points; null when a class is empty. */
export function rocPoints(labels: readonly number[], scores: ArrayLike<number>): RocPoints | null {
  const roc = rocCurve(labels, scores);
  if (roc === null) return null;
  const step = Math.max(1, Math.ceil(roc.fpr.length / ROC_POINTS));
  const keep = roc.fpr.map((_, i) => i).filter((i) => i % step === 0 || i === roc.fpr.length - 1);
  return { fpr: keep.map((i) => roc.fpr[i]!), tpr: keep.map((i) => roc.tpr[i]!) };
}

/**
 * Cases sorted by predicted risk and cut into `bins` groups of (nearly) equal size.
 * @example calibrationBins([0, 1], [0.2, 0.8], 2) // { predicted: [0.2, 0.8], observed: [0, 1], n: [1, 1] }
 */
export function calibrationBins(
  labels: readonly number[],
  probs: ArrayLike<number>,
  bins = 10,
): CalibrationBins {
  const order = labels.map((_, i) => i).sort((a, b) => probs[a]! - probs[b]!);
  const out: CalibrationBins = { predicted: [], observed: [], n: [] };
  const groups = Math.min(bins, order.length);
  for (let g = 0; g < groups; g++) {
    const members = order.slice(
      Math.floor((g * order.length) / groups),
      Math.floor(((g + 1) * order.length) / groups),
    );
    const mean = (f: (i: number) => number): number => members.reduce((s, i) => s + f(i), 0) / members.length;
    out.predicted.push(mean((i) => probs[i]!));
    out.observed.push(mean((i) => labels[i]!));
    out.n.push(members.length);
  }
  return out;
}

/** The decision curve on the 0.01…0.99 grid (`decisionCurve` of @fedaln/metrics). */
export function decisionCurvePoints(
  labels: readonly number[],
  probs: ArrayLike<number>,
): DecisionCurvePoints {
  const dc = decisionCurve(labels, probs);
  return { thresholds: dc.thresholds, net_benefit: dc.net_benefit, treat_all: dc.treat_all };
}
