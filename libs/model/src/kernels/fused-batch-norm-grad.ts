/**
 * The gradient of `FusedBatchNorm` (y = (x − μ)·γ/√(σ² + ε) + β, per channel), without the
 * full-size tiles and products tfjs-core 4.22's gradient makes. tfjs-core's version tiles
 * 1/√(σ² + ε) to the whole activation before multiplying, and computes x − μ and dY·γ eagerly,
 * holding both (two activation-sized tensors per BatchNorm layer) until the whole backward pass
 * ends: in a DenseNet201 step that was the largest single cost on wasm (Tile) and most of the peak
 * memory. With k = 1/√(σ² + ε) and Σ the sum over every axis but the channel (Ioffe & Szegedy 2015,
 * "Batch Normalization", §3, the chain rule through the normalisation with μ and σ² as inputs):
 *
 *   ∂L/∂x = dY·γk          ∂L/∂β = ΣdY           ∂L/∂γ = k·Σ dY(x − μ)
 *   ∂L/∂μ = −γk·ΣdY        ∂L/∂σ² = −½·γk³·Σ dY(x − μ)
 *
 * Only ∂L/∂x is activation-sized; the two channel sums are computed once, and the temporary
 * dY·(x − μ) is freed at once. Per-channel (rank-1) statistics only; other shapes keep tfjs-core's
 * gradient. The same formulas as tfjs-core's, so the same values up to float32 summation order.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients are registered when tfjs-layers loads: load it first, or it would register
// its FusedBatchNorm gradient over ours.
import '@tensorflow/tfjs-layers';

/** tfjs-core's own gradient, for statistics that are not per channel. */
let builtIn: tf.GradConfig | undefined;

/**
 * The replacement gradient config for `FusedBatchNorm` (registered by kernels/index.ts).
 * @example
 * tf.registerGradient(fusedBatchNormGradConfig);
 */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const dY = dy as tf.Tensor;
    const channels = mean.shape[0]!;
    const perChannel = mean.rank === 1 && x.shape[x.rank - 1] === channels && variance.rank === 1;
    if (!perChannel) {
      if (!builtIn) throw new Error('FusedBatchNorm gradient: tfjs-core’s own gradient was not recorded');
      return builtIn.gradFunc(dy, saved, attrs);
    }
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const k = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const gk = scale ? tf.mul(scale, k) : k;
    const dySum = tf.sum(dY, axes);
    const centred = tf.sub(x, mean);
    const product = tf.mul(dY, centred);
    centred.dispose();
    const dyCentredSum = tf.sum(product, axes);
    product.dispose();
    return {
      x: () => tf.mul(dY, gk),
      mean: () => tf.neg(tf.mul(dySum, gk)),
      variance: () => tf.mul(dyCentredSum, tf.mul(tf.mul(gk, tf.square(k)), -0.5)),
      scale: () => tf.mul(dyCentredSum, k),
      offset: () => tf.reshape(dySum, mean.shape),
    };
  },
};

/**
 * Replaces tfjs-core's `FusedBatchNorm` gradient with {@link fusedBatchNormGradConfig}, keeping the
 * original for non-per-channel statistics. Idempotent; returns whether it replaced it now.
 * @example
 * replaceFusedBatchNormGradient(); // false when already done
 */
export function replaceFusedBatchNormGradient(): boolean {
  const current = tf.getGradient(tf.FusedBatchNorm);
  if (current === fusedBatchNormGradConfig) return false;
  builtIn ??= current;
  tf.registerGradient(fusedBatchNormGradConfig);
  return true;
}
