import { Xoshiro128StarStar } from '@fedaln/site-data';
import { checkLabels, checkScores, MetricsInputError } from './validate';

/** A metric of labels and scores (e.g. {@link auc}, {@link brier}); `null` when undefined on that sample. */
export type Metric = (labels: Float64Array, scores: Float64Array) => number | null;

export interface BootstrapOptions {
  /** Seed of the resampling PRNG (integer in [0, 2^32)); the same seed gives the same interval. */
  seed: number;
  /** Number of resamples; default 2000. */
  reps?: number;
  /** Confidence level in (0, 1); default 0.95. */
  level?: number;
  /**
   * Resample positives and negatives separately, keeping both class sizes (default `true`, as pROC's
   * `boot.stratified`); `false` draws n cases from all cases.
   */
  stratified?: boolean;
}

export interface BootstrapCi {
  /** The metric on the original data (`null` when undefined there). */
  estimate: number | null;
  /** Percentile interval bounds; `null` when no resample gave a value. */
  lo: number | null;
  hi: number | null;
  /** Resamples that gave a value (they make the interval). */
  reps_used: number;
  /** Resamples skipped because the metric was `null` (or NaN) on them, e.g. a class drawn empty. */
  reps_skipped: number;
}

/**
 * Percentile bootstrap confidence interval of any metric (B. Efron & R. Tibshirani, An Introduction to
 * the Bootstrap, 1993, §13.3): draw `reps` resamples of the cases with replacement, evaluate the metric
 * on each, and take the (1 − level)/2 and (1 + level)/2 quantiles of the values, with linear
 * interpolation between order statistics (R's `quantile(type = 7)`, numpy's default):
 *
 *   q(α) = x₍⌊h⌋₊₁₎ + (h − ⌊h⌋)(x₍⌊h⌋₊₂₎ − x₍⌊h⌋₊₁₎),  h = (m − 1)α over the m sorted values.
 *
 * Resamples where the metric is `null` or NaN are skipped and counted. Resampling uses the seeded
 * {@link Xoshiro128StarStar}, so a seed fixes the interval. Each resample is passed as fresh
 * Float64Arrays (labels, scores) in draw order.
 *
 * @throws MetricsInputError on bad labels or scores, or options out of range (`field` `options.reps` …).
 * @example
 * bootstrapCi([0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7], auc, { seed: 1 })
 * // { estimate: 0.875, lo: 0.5, hi: 1, reps_used: 2000, reps_skipped: 0 }
 */
export function bootstrapCi(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  metric: Metric,
  options: BootstrapOptions,
): BootstrapCi {
  const { seed, reps = 2000, level = 0.95, stratified = true } = options;
  if (!Number.isInteger(reps) || reps < 1) {
    throw new MetricsInputError(
      `options.reps is ${reps}; expected a positive integer`,
      'options.reps',
      null,
      reps,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new MetricsInputError(
      `options.level is ${level}; expected a number in (0, 1)`,
      'options.level',
      null,
      level,
    );
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new MetricsInputError(
      `options.seed is ${seed}; expected an integer in [0, 2^32)`,
      'options.seed',
      null,
      seed,
    );
  }
  checkLabels(labels);
  checkScores(scores, labels.length);
  const n = labels.length;
  const y = Float64Array.from(labels);
  const s = Float64Array.from(scores);
  const estimate = metric(y, s);

  // Strata: the cases to draw from and how many to draw from each.
  const strata: Uint32Array[] = [];
  if (stratified) {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < n; i++) (y[i] === 1 ? pos : neg).push(i);
    for (const g of [neg, pos]) if (g.length > 0) strata.push(Uint32Array.from(g));
  } else if (n > 0) {
    strata.push(Uint32Array.from({ length: n }, (_, i) => i));
  }

  const rng = Xoshiro128StarStar.fromSeed(seed);
  const values = new Float64Array(reps);
  let used = 0;
  for (let r = 0; r < reps; r++) {
    const ry = new Float64Array(n);
    const rs = new Float64Array(n);
    let k = 0;
    for (const g of strata) {
      for (let j = 0; j < g.length; j++) {
        const i = g[rng.nextInt(g.length)]!;
        ry[k] = y[i]!;
        rs[k] = s[i]!;
        k++;
      }
    }
    const v = metric(ry, rs);
    if (v !== null && !Number.isNaN(v)) values[used++] = v;
  }

  const sorted = values.subarray(0, used).sort();
  const alpha = (1 - level) / 2;
  return {
    estimate,
    lo: used > 0 ? quantile7(sorted, alpha) : null,
    hi: used > 0 ? quantile7(sorted, 1 - alpha) : null,
    reps_used: used,
    reps_skipped: reps - used,
  };
}

/** R's `quantile(x, prob, type = 7)` of ascending-sorted, non-empty `x`. */
function quantile7(x: Float64Array, prob: number): number {
  const h = (x.length - 1) * prob;
  const lo = Math.floor(h);
  const a = x[lo]!;
  const b = x[Math.min(lo + 1, x.length - 1)]!;
  return a + (h - lo) * (b - a);
}
