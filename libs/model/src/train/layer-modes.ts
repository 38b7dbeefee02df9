/**
 * Per-layer behaviour during our training loop that tfjs-layers does not offer:
 *  - BatchNormalization of frozen layers runs in inference mode (moving statistics, no update), as
 *    Keras ≥ 2.1.3 does for `trainable = False` BN ("BatchNormalization layer" notes, Keras docs,
 *    transfer-learning guide); tfjs-layers would still normalise with batch statistics.
 *  - Dropout draws a fresh mask every step from our seed: a seeded tfjs Dropout reuses one mask
 *    forever (tf.dropout re-seeds its generator on each call), an unseeded one is not reproducible.
 * Both are done by shadowing the layer instance's `call`, which tfjs-layers' executor invokes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from './prng';

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
    } else return;
    patched.push(layer);
  });
  return {
    setStep: (s) => void (step = s),
    restore: () => patched.forEach((l) => delete (l as unknown as { call?: CallFn }).call),
  };
}
