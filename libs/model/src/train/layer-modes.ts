/**
 * Per-layer behaviour during our training loop that tfjs-layers does not offer:
 *  - BatchNormalization of frozen layers runs in inference mode (moving statistics, no update), as
 *    Keras ≥ 2.1.3 does for `trainable = False` BN ("BatchNormalization layer" notes, Keras docs,
 *    transfer-learning guide); tfjs-layers would still normalise with batch statistics.
 *  - Dropout draws a fresh mask every step from our seed: a seeded tfjs Dropout reuses one mask
 *    forever (tf.dropout re-seeds its generator on each call), an unseeded one is not reproducible.
 *  - BatchNormalization that trains runs batchNormTraining (batch-norm-training.ts): one op with a
 *    closed-form gradient instead of tf.moments and the gradients of its pieces, and the moving
 *    averages updated as tfjs-layers does (m ← m − (m − batch)·(1 − momentum)).
 *  - Conv2D without bias or activation (all of DenseNet's) runs tf.conv2d instead of tfjs-layers'
 *    fused conv2d. The fused op's custom gradient computes the input gradient eagerly, even where
 *    nothing needs it: the stem's d(image) was 5 % of a DenseNet201 step on wasm (148 of 2 900 ms
 *    at 128 px, 4 images), and with a frozen prefix the first trainable convolution's input
 *    gradient is as useless. tf.conv2d's registered gradient is lazy, so tfjs-core's tape skips
 *    inputs that no trainable weight depends on. Same kernel (XNNPACK) and values.
 * Both are done by shadowing the layer instance's `call`, which tfjs-layers' executor invokes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from './batch-norm-training';
import { deriveSeed } from '@fedaln/site-data';

type Kwargs = Record<string, unknown>;
type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];

export interface TrainingModes {
  /** Sets the step whose dropout masks the next forward pass uses. */
  setStep(step: number): void;
  /** Removes the overrides. */
  restore(): void;
}

/**
 * Installs the overrides on `model` (call after setting `trainable` flags).
 * @example const modes = installTrainingModes(model, seed); modes.setStep(0); …; modes.restore();
 */
export function installTrainingModes(model: tfl.LayersModel, seed: number): TrainingModes {
  let step = 0;
  const patched: tfl.layers.Layer[] = [];
  model.layers.forEach((layer, layerIndex) => {
    const kind = layer.getClassName();
    const target = layer as unknown as { call: CallFn; rate?: number };
    const original = target.call.bind(layer) as CallFn;
    if (kind === 'BatchNormalization' && !layer.trainable) {
      target.call = (inputs, kwargs) => original(inputs, { ...kwargs, training: false });
    } else if (kind === 'Dropout') {
      const rate = target.rate ?? 0;
      target.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        if (kwargs['training'] !== true || rate <= 0) return original(inputs, kwargs);
        return tf.dropout(x, rate, undefined, deriveSeed(seed, step, layerIndex));
      };
    } else if (kind === 'BatchNormalization') {
      const bn = layer as unknown as BatchNormFields;
      target.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        if (kwargs['training'] !== true || !channelsLastBatchNorm(bn, x)) return original(inputs, kwargs);
        return tf.tidy(() => {
          const { y, mean, variance } = batchNormTraining(
            x,
            bn.gamma!.read() as tf.Tensor1D,
            bn.beta!.read() as tf.Tensor1D,
            bn.epsilon,
          );
          movingAverage(bn.movingMean, mean, bn.momentum);
          movingAverage(bn.movingVariance, variance, bn.momentum);
          tf.dispose([mean, variance]);
          return y;
        });
      };
    } else if (kind === 'Conv2D' && isPlainConv(layer)) {
      const conv = layer as unknown as PlainConv;
      const strides = conv.strides as [number, number];
      target.call = (inputs) =>
        tf.conv2d(
          (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D,
          conv.kernel.read() as tf.Tensor4D,
          strides,
          conv.padding,
        );
    } else return;
    patched.push(layer);
  });
  return {
    setStep: (s) => void (step = s),
    restore: () => patched.forEach((l) => delete (l as unknown as { call?: CallFn }).call),
  };
}

/** The fields of tfjs-layers' Conv2D that {@link installTrainingModes} reads. */
interface PlainConv {
  kernel: tfl.LayerVariable;
  strides: number[];
  padding: 'valid' | 'same';
  dataFormat: string;
  dilationRate: number | number[];
  useBias: boolean;
  activation: { getClassName(): string };
}

/** A channels-last Conv2D without bias, activation or dilation: tf.conv2d computes it exactly. */
function isPlainConv(layer: tfl.layers.Layer): boolean {
  const c = layer as unknown as PlainConv;
  const dilations = Array.isArray(c.dilationRate) ? c.dilationRate : [c.dilationRate];
  return (
    !c.useBias &&
    c.activation?.getClassName() === 'linear' &&
    c.dataFormat === 'channelsLast' &&
    (c.padding === 'valid' || c.padding === 'same') &&
    dilations.every((d) => d === 1) &&
    c.kernel !== undefined
  );
}

/** The fields of tfjs-layers' BatchNormalization that {@link installTrainingModes} reads. */
interface BatchNormFields {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/** Normalises over the last axis of a float32 input, with γ and β: batchNormTraining's case. */
function channelsLastBatchNorm(bn: BatchNormFields, x: tf.Tensor): boolean {
  const axis = bn.axis >= 0 ? bn.axis : bn.axis + x.rank;
  return x.dtype === 'float32' && x.rank >= 2 && axis === x.rank - 1 && bn.gamma != null && bn.beta != null;
}

/** tfjs-layers' moving-average update of a BatchNormalization statistic, in the same float32 ops. */
function movingAverage(variable: tfl.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)));
  });
}
