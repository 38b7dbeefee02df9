/**
 * Re-estimates BatchNormalization moving statistics of the trained layers from the training images
 * with the final weights, as SWA's `bn_update` / PyTorch `torch.optim.swa_utils.update_bn` do
 * (Izmailov et al., UAI 2018): the exponential moving average (momentum 0.99 in Keras DenseNet)
 * lags far behind after the few hundred steps a federated round runs, and inference with stale
 * statistics can collapse every prediction to one value.
 *
 * With momentum m_k = 1 − 1/k on the k-th batch, tfjs's update moving ← moving − (moving − μ_k)(1 − m_k)
 * becomes the running mean of the batch statistics (k = 1 replaces the old value outright).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelInputSize } from '../images/model-input';

type Kwargs = Record<string, unknown>;
type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];
type Patchable = { call: CallFn; momentum: number };

/**
 * Recomputes the moving mean/variance of every trainable BatchNormalization layer; frozen layers
 * and all weights are untouched. Dropout and frozen BN run in inference mode throughout.
 * @example await recalibrateBatchNorm(model, trainImages, { batchSize: 32 });
 */
export async function recalibrateBatchNorm(
  model: tfl.LayersModel,
  images: readonly Float32Array[],
  options: { batchSize: number },
): Promise<void> {
  const size = modelInputSize(model);
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization' && l.trainable);
  if (layers.length === 0 || images.length === 0) return;
  const targets = layers as unknown as Patchable[];
  const momenta = targets.map((t) => t.momentum);
  for (const target of targets) {
    const original = target.call.bind(target) as CallFn;
    target.call = (inputs, kwargs) => original(inputs, { ...kwargs, training: true });
  }
  try {
    const pixels = size * size * 3;
    for (let start = 0, k = 1; start < images.length; start += options.batchSize, k++) {
      const chunk = images.slice(start, start + options.batchSize);
      const x = new Float32Array(chunk.length * pixels);
      chunk.forEach((image, i) => x.set(image, i * pixels));
      for (const target of targets) target.momentum = 1 - 1 / k;
      // The model runs in inference mode; only the patched BN layers see training = true.
      tf.tidy(() => void model.apply(tf.tensor4d(x, [chunk.length, size, size, 3]), { training: false }));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    targets.forEach((t, i) => {
      delete (t as Partial<Patchable>).call;
      t.momentum = momenta[i]!;
    });
  }
}
