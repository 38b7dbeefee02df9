/**
 * Training-mode batch normalisation over the last (channel) axis as one op with a closed-form
 * gradient, replacing tfjs-layers' composition (tf.moments: Mean, Sub, Cast, Square, Mean; then
 * FusedBatchNorm) and the gradients of every piece. On wasm a reduction over the leading axes of an
 * NHWC tensor transposes the whole tensor first; the BatchNorm ops were ~24 % of a DenseNet201 step
 * (128 px, 4 images: fwd Mean 155 ms, bwd Sum 214 ms, 2 621 Multiply calls ...). Here the per-channel
 * sums of an NHWC tensor are global average poolings (XNNPACK, along the channels; a float64 JS pass
 * for other ranks), and the rest is per-channel arithmetic and a few element-wise kernels.
 *
 * With N values per channel, μ = Σx/N, σ² = Σ(x − μ)²/N (biased, as tf.moments), k = 1/√(σ² + ε),
 * y = (x − μ)·k·γ + β; the gradient with μ and σ² functions of x (Ioffe & Szegedy 2015, §3):
 *   ∂L/∂β = Σdy        ∂L/∂γ = k·Σdy(x − μ)
 *   ∂L/∂x = γk·dy − γk·Σdy/N − (x − μ)·γk³·Σdy(x − μ)/N
 * Values agree with tfjs-layers' training BatchNorm up to float32 rounding (sums in another order).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The float32 values of `t` without a copy where the backend allows (a view of the wasm heap, valid
 * until the next allocation; the cpu backend's storage): read them, never write.
 * @example const sum = bufferValues(t).reduce((a, b) => a + b, 0);
 */
export function bufferValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (info: tf.TensorInfo) => Float32Array };
  return tf.getBackend() === 'wasm' && backend.typedArrayFromHeap
    ? backend.typedArrayFromHeap(t)
    : (t.dataSync() as Float32Array);
}

/** Per-channel Σ(x − s) and Σ(x − s)² over the last axis, in float64. */
function shiftedMoments(
  x: Float32Array,
  shift: Float64Array,
  channels: number,
): [Float64Array, Float64Array] {
  const s1 = new Float64Array(channels);
  const s2 = new Float64Array(channels);
  for (let i = 0; i < x.length;) {
    for (let c = 0; c < channels; c++, i++) {
      const d = x[i]! - shift[c]!;
      s1[c] = s1[c]! + d;
      s2[c] = s2[c]! + d * d;
    }
  }
  return [s1, s2];
}

/** Per-channel Σdy and Σdy·(x − μ) over the last axis, in float64. */
function gradientSums(
  dy: Float32Array,
  x: Float32Array,
  mu: Float64Array,
  channels: number,
): [Float64Array, Float64Array] {
  const s1 = new Float64Array(channels);
  const s2 = new Float64Array(channels);
  for (let i = 0; i < dy.length;) {
    for (let c = 0; c < channels; c++, i++) {
      const g = dy[i]!;
      s1[c] = s1[c]! + g;
      s2[c] = s2[c]! + g * (x[i]! - mu[c]!);
    }
  }
  return [s1, s2];
}

/**
 * Per-channel mean of a rank-4 NHWC tensor by a global average pooling (XNNPACK's pooling runs
 * along the channels, 0.1–1.8 ns per value on DenseNet's shapes, where the JS loops above take
 * ~5 ns and wasm's Sum over the leading axes, which transposes first, 2–8 ns), then the mean over
 * the batch of the [B, 1, 1, C] result.
 */
function pooledChannelMeans(t: tf.Tensor): Float64Array {
  const [, h, w] = t.shape as [number, number, number, number];
  const pooled = tf.tidy(() => tf.avgPool(t as tf.Tensor4D, [h, w], 1, 'valid'));
  const values = pooled.dataSync() as Float32Array;
  pooled.dispose();
  const channels = t.shape[3]!;
  const batch = values.length / channels;
  const out = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) out[i % channels] = out[i % channels]! + values[i]! / batch;
  return out;
}

/** Per-channel mean and biased variance of `x` over every axis but the last. */
function batchMoments(x: tf.Tensor, channels: number): [Float32Array, Float32Array] {
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  if (x.rank === 4) {
    const mu = pooledChannelMeans(x);
    mean.set(mu);
    const centredSquares = tf.tidy(() => tf.square(tf.sub(x, tf.tensor1d(mean))));
    variance.set(pooledChannelMeans(centredSquares));
    centredSquares.dispose();
    return [mean, variance];
  }
  // Shifted by a first value per channel, Σ(x − s) and Σ(x − s)² lose no precision to a large mean.
  const xs = bufferValues(x);
  const shift = Float64Array.from(xs.subarray(0, channels));
  const [s1, s2] = shiftedMoments(xs, shift, channels);
  const n = x.size / channels;
  for (let c = 0; c < channels; c++) {
    const d = s1[c]! / n;
    mean[c] = shift[c]! + d;
    variance[c] = Math.max(0, s2[c]! / n - d * d);
  }
  return [mean, variance];
}

/** Per-channel Σdy and Σdy·(x − μ) over every axis but the last. */
function batchGradientSums(
  dy: tf.Tensor,
  x: tf.Tensor,
  mu: tf.Tensor1D,
  channels: number,
): [Float64Array, Float64Array] {
  if (x.rank === 4) {
    const n = x.size / channels;
    const sumDy = pooledChannelMeans(dy).map((m) => m * n);
    const product = tf.tidy(() => tf.mul(dy, tf.sub(x, mu)));
    const sumDyCentred = pooledChannelMeans(product).map((m) => m * n);
    product.dispose();
    return [sumDy, sumDyCentred];
  }
  return gradientSums(bufferValues(dy), bufferValues(x), Float64Array.from(mu.dataSync()), channels);
}

export interface BatchNormTrainingResult {
  y: tf.Tensor;
  /** The batch statistics (float32, [C]), for the moving averages. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * y = (x − μ_batch)/√(σ²_batch + ε)·γ + β over the last axis, with the closed-form gradient for x,
 * γ and β.
 * @example const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1.001e-5);
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainingResult {
  const channels = x.shape[x.rank - 1]!;
  const n = x.size / channels;
  let stats: [Float32Array, Float32Array] | null = null;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [mean, variance] = batchMoments(xIn, channels);
    const meanT = tf.tensor1d(mean);
    const varianceT = tf.tensor1d(variance);
    stats = [mean, variance];
    const y = tf.batchNorm(xIn, meanT, varianceT, b, g, epsilon);
    save([xIn, meanT, varianceT, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xSaved, mu, sigma2, gammaSaved] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const muValues = mu.dataSync();
        const [sumDy, sumDyCentred] = batchGradientSums(dy, xSaved, mu, channels);
        const varianceValues = sigma2.dataSync();
        const gammaValues = gammaSaved.dataSync();
        const a = new Float32Array(channels); // γk
        const bx = new Float32Array(channels); // −γk³·Σdy(x − μ)/N
        const c0 = new Float32Array(channels); // −γk·Σdy/N − μ·bx
        const dGamma = new Float32Array(channels);
        for (let c = 0; c < channels; c++) {
          const k = 1 / Math.sqrt(varianceValues[c]! + epsilon);
          const gk = gammaValues[c]! * k;
          a[c] = gk;
          bx[c] = (-gk * k * k * sumDyCentred[c]!) / n;
          c0[c] = (-gk * sumDy[c]!) / n - muValues[c]! * bx[c]!;
          dGamma[c] = k * sumDyCentred[c]!;
        }
        const dx = tf.add(
          tf.add(tf.mul(dy, tf.tensor1d(a)), tf.mul(xSaved, tf.tensor1d(bx))),
          tf.tensor1d(c0),
        );
        return [dx, tf.tensor1d(dGamma), tf.tensor1d(Float32Array.from(sumDy))];
      },
    };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean: tf.tensor1d(mean), variance: tf.tensor1d(variance) };
}
