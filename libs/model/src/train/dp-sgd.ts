/**
 * The gradient of one DP-SGD step (Abadi et al. 2016, "Deep learning with differential privacy",
 * Algorithm 1): each example's gradient g_i over all trainable variables is clipped to L2 norm C,
 *   ḡ_i = g_i · min(1, C / ‖g_i‖₂),
 * the clipped gradients are summed, Gaussian noise of standard deviation σC is added to every
 * coordinate, and the sum is divided by a fixed denominator (with Poisson sampling at rate q over n
 * records, the expected batch size q·n, as Opacus does), so that
 *   g̃ = (Σ_i ḡ_i + N(0, σ²C² I)) / denominator.
 * The clip is "flat" (one norm over every variable). One record's influence on the sum is at most C
 * in L2, which is what the sampled Gaussian accountant of @fedaln/privacy charges for.
 *
 * Per-example gradients are taken one example at a time (a forward and backward pass of batch 1 with
 * {@link variableGradsLowMemory}): tfjs has no vectorised per-sample gradients, and batch-1 passes keep
 * the memory of a step at one example's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DpRandomness } from './dp-randomness';
import { variableGradsLowMemory } from './low-memory-gradients';

export interface ClippedGradientSum {
  /** Σ_i ḡ_i for each variable (in the order of `variables`); the caller disposes them. */
  sums: tf.Tensor[];
  /** ‖g_i‖₂ of each example before clipping. */
  norms: number[];
  /** Σ_i of the examples' losses. */
  lossSum: number;
}

/**
 * Per-example gradients of `exampleLoss(0…count−1)`, each clipped to `clipNorm` (Infinity: no
 * clipping), summed per variable. A variable an example's loss does not reach gets a zero gradient.
 *
 * @example
 * const { sums, norms } = clippedGradientSum((k) => lossOf(k), 8, variables, 1);
 * tf.dispose(sums);
 */
export function clippedGradientSum(
  exampleLoss: (k: number) => tf.Scalar,
  count: number,
  variables: readonly tf.Variable[],
  clipNorm: number,
): ClippedGradientSum {
  if (!(clipNorm > 0)) throw new RangeError(`clip norm ${clipNorm} is not positive`);
  let sums = variables.map((v) => tf.zeros(v.shape));
  const norms: number[] = [];
  let lossSum = 0;
  for (let k = 0; k < count; k++) {
    const next = tf.tidy(() => {
      const { value, grads } = variableGradsLowMemory(() => exampleLoss(k), variables);
      const squares = variables.flatMap((v) => (grads[v.name] ? [tf.sum(tf.square(grads[v.name]!))] : []));
      const [loss, squaredNorm] = [value, tf.addN(squares.length > 0 ? squares : [tf.scalar(0)])].map(
        (t) => t.dataSync()[0]!,
      ) as [number, number];
      const norm = Math.sqrt(squaredNorm);
      norms.push(norm);
      lossSum += loss;
      const scale = norm > clipNorm ? clipNorm / norm : 1;
      return variables.map((v, i) => {
        const g = grads[v.name];
        return g ? tf.add(sums[i]!, scale === 1 ? g : tf.mul(g, scale)) : tf.clone(sums[i]!);
      });
    });
    tf.dispose(sums);
    sums = next;
  }
  return { sums, norms, lossSum };
}

export interface NoiseSettings {
  /** σ: the noise standard deviation is σ · C. */
  noiseMultiplier: number;
  /** C: the clip norm of each example's gradient. */
  clipNorm: number;
  /** What the noisy sum is divided by (the expected batch size q·n under Poisson sampling). */
  denominator: number;
}

/**
 * (sum + N(0, σ²C²)) / denominator for each summed gradient; noise drawn from `randomness` (none when
 * σ = 0). Returns new tensors; `sums` are left to the caller.
 *
 * @example const grads = noisyGradients(sums, { noiseMultiplier: 1.1, clipNorm: 1, denominator: 16 }, cryptoDpRandomness());
 */
export function noisyGradients(
  sums: readonly tf.Tensor[],
  { noiseMultiplier, clipNorm, denominator }: NoiseSettings,
  randomness: DpRandomness,
): tf.Tensor[] {
  if (!(noiseMultiplier >= 0 && Number.isFinite(noiseMultiplier)))
    throw new RangeError(`noise multiplier ${noiseMultiplier} is not a finite number ≥ 0`);
  if (noiseMultiplier > 0 && !Number.isFinite(clipNorm))
    throw new RangeError(`clip norm ${clipNorm} must be finite when noise is added (σ = ${noiseMultiplier})`);
  if (!(denominator > 0 && Number.isFinite(denominator)))
    throw new RangeError(`denominator ${denominator} is not a positive number`);
  // σ = 0 with C = ∞ (no clipping, no noise) is plain SGD; 0 · ∞ would be NaN.
  const std = noiseMultiplier === 0 ? 0 : noiseMultiplier * clipNorm;
  return sums.map((sum) =>
    tf.tidy(() => {
      if (std === 0) return tf.div(sum, denominator);
      const noise = tf.tensor(randomness.normals(sum.size), sum.shape, 'float32');
      return tf.div(tf.add(sum, tf.mul(noise, std)), denominator);
    }),
  );
}
