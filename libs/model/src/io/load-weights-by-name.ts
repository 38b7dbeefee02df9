import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { kerasWeightName } from './keras-names';
import { layersFormatDir } from './layers-format';
import { type NamedWeight, setNamedWeights, type SetNamedWeightsOptions } from './named-weights';

/**
 * Reads the model weights (not optimizer state) of a layers-format directory as named float32
 * lists; quantised weights come back dequantised, as `tf.io.decodeWeights` does. Names of older
 * Keras versions (`conv1/conv/kernel`, `fc1000/bias`) come back as Keras 3 names.
 *
 * @example (await readLayersFormatWeights('/models/densenet201'))[0].name // 'conv1_conv/kernel'
 */
export async function readLayersFormatWeights(dir: string): Promise<NamedWeight[]> {
  const artifacts = await layersFormatDir(dir).load();
  const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
  const all = artifacts.weightSpecs ?? [];
  const tensors = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), all);
  try {
    return specs.map((s) => {
      const t = tensors[s.name];
      if (!t) throw new Error(`${dir}: weight ${s.name} is in the manifest but could not be decoded`);
      return { name: kerasWeightName(s.name), shape: [...t.shape], values: Float32Array.from(t.dataSync()) };
    });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Loads a layers-format directory's weights into a freshly built model by weight name
 * (`conv1_conv/kernel`, ...), whatever the saved topology; e.g. Keras's DenseNet201 converted with
 * tensorflowjs_converter into `buildModel({arch: 'densenet201', head: 'imagenet'})`. Errors name
 * every missing, unexpected or mis-shaped weight.
 *
 * @example await loadWeightsByName(buildModel({ arch: 'densenet-tiny', inputSize: 64 }), '/models/tiny');
 */
export async function loadWeightsByName(
  model: tfl.LayersModel,
  dir: string,
  options: Omit<SetNamedWeightsOptions, 'source'> = {},
): Promise<void> {
  setNamedWeights(model, await readLayersFormatWeights(dir), { ...options, source: dir });
}
