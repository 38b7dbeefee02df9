/**
 * Class-weighted binary cross-entropy.
 *
 * Balanced class weights (scikit-learn `compute_class_weight("balanced")`, King & Zeng 2001):
 *   w_c = n / (2 · n_c)
 * so each class contributes equally in expectation; ALN-positive cases are the minority (126/324 in
 * the source study).
 *
 * Loss as Keras computes `binary_crossentropy` with `class_weight` (reduction
 * "sum_over_batch_size"): p clipped to [ε, 1 − ε], ε = 1e-7 (Keras `backend.epsilon()`),
 *   L = (1/B) Σ_i w_{y_i} · −(y_i log p_i + (1 − y_i) log(1 − p_i)).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ClassWeights {
  0: number;
  1: number;
}

export type ClassWeighting = 'balanced' | 'none' | ClassWeights;

const EPSILON = 1e-7;

/**
 * n/(2·n_c) per class; a class absent from `labels` is an error (its weight would be infinite).
 * @example balancedClassWeights([0, 0, 0, 1]) // { 0: 4/6, 1: 2 }
 */
export function balancedClassWeights(labels: readonly number[]): ClassWeights {
  const n1 = labels.filter((y) => y === 1).length;
  const n0 = labels.length - n1;
  if (n0 === 0 || n1 === 0) {
    throw new Error(
      `balanced class weights need both classes; the training labels have ${n0} negative and ${n1} positive`,
    );
  }
  return { 0: labels.length / (2 * n0), 1: labels.length / (2 * n1) };
}

/** Resolves the `classWeights` training option against the training labels. */
export function resolveClassWeights(weighting: ClassWeighting, labels: readonly number[]): ClassWeights {
  if (weighting === 'balanced') return balancedClassWeights(labels);
  if (weighting === 'none') return { 0: 1, 1: 1 };
  for (const c of [0, 1] as const) {
    if (!(weighting[c] > 0 && Number.isFinite(weighting[c]))) {
      throw new Error(`class weight for class ${c} is ${weighting[c]}; expected a positive number`);
    }
  }
  return weighting;
}

/**
 * The weighted loss as a scalar tensor; `yTrue`, `yPred` and `weights` have the same shape.
 * @example weightedBinaryCrossEntropy(tf.tensor([1]), tf.tensor([0.5]), tf.tensor([2])) // 2·ln 2
 */
export function weightedBinaryCrossEntropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  weights: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const perSample = tf.neg(
      tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))),
    );
    return tf.mean(tf.mul(weights, perSample));
  });
}
