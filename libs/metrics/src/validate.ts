/**
 * Shared input checks for the metrics.
 *
 * Conventions (every metric in this package):
 * - `labels` is an `ArrayLike<number>` of 0 and 1; **1 is the positive class** (ALN metastasis).
 * - `scores` is an `ArrayLike<number>` of finite numbers, one per label; a higher score means "more
 *   likely positive". Scores need not be probabilities; `probs` (Brier, calibration) must lie in [0, 1].
 * - A bad value throws {@link MetricsInputError} naming the array (`field`) and the position (`index`), so
 *   the CLI can point at the row and column to fix. Empty or single-class inputs are *not* errors: each
 *   metric documents what it returns then (usually `null`).
 */

/** A bad input value: which array (`field`), where (`index`, `null` for whole-array problems), and what. */
export class MetricsInputError extends Error {
  override readonly name = 'MetricsInputError';

  constructor(
    message: string,
    /** The argument the bad value came from, e.g. `labels`, `scores`, `scores_b`, `probs`. */
    readonly field: string,
    /** 0-based position of the bad value; `null` when the whole array is wrong (type, length). */
    readonly index: number | null,
    /** The offending value, when there is one. */
    readonly value?: unknown,
  ) {
    super(message);
  }
}

function checkArrayLike(values: unknown, field: string): asserts values is ArrayLike<number> {
  const length = (values as { length?: unknown } | null | undefined)?.length;
  if (typeof values !== 'object' || values === null || typeof length !== 'number') {
    throw new MetricsInputError(`${field} must be an array of numbers, got ${typeof values}`, field, null);
  }
}

function checkLength(values: ArrayLike<number>, expected: number, field: string, against: string): void {
  if (values.length !== expected) {
    throw new MetricsInputError(
      `${field} has ${values.length} values but ${against} has ${expected}; they must be the same cases in the same order`,
      field,
      null,
    );
  }
}

/** Throws unless every label is exactly 0 or 1 (1 = positive). */
export function checkLabels(labels: ArrayLike<number>, field = 'labels'): void {
  checkArrayLike(labels, field);
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) {
      throw new MetricsInputError(
        `${field}[${i}] is ${String(y)}; expected 0 or 1 (1 = positive)`,
        field,
        i,
        y,
      );
    }
  }
}

/** Throws unless `scores` has `n` values, all finite. */
export function checkScores(
  scores: ArrayLike<number>,
  n: number,
  field = 'scores',
  against = 'labels',
): void {
  checkArrayLike(scores, field);
  checkLength(scores, n, field, against);
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      throw new MetricsInputError(`${field}[${i}] is ${String(s)}; expected a finite number`, field, i, s);
    }
  }
}

/** Throws unless `probs` has `n` values, all in [0, 1]. */
export function checkProbabilities(
  probs: ArrayLike<number>,
  n: number,
  field = 'probs',
  against = 'labels',
): void {
  checkArrayLike(probs, field);
  checkLength(probs, n, field, against);
  for (let i = 0; i < n; i++) {
    const p = probs[i] as number;
    // `!(p >= 0 && p <= 1)` also catches NaN and non-numbers.
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new MetricsInputError(
        `${field}[${i}] is ${String(p)}; expected a probability in [0, 1]`,
        field,
        i,
        p,
      );
    }
  }
}

/** The usual pair check: 0/1 labels and one finite score per label. */
export function checkLabelsScores(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  field = 'scores',
): void {
  checkLabels(labels);
  checkScores(scores, labels.length, field);
}

/** Number of 1-labels (assumes {@link checkLabels} passed). */
export function countPositives(labels: ArrayLike<number>): number {
  let p = 0;
  const n = labels.length;
  for (let i = 0; i < n; i++) p += labels[i] as number;
  return p;
}
