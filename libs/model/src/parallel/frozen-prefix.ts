/**
 * Training from dense block K with the frozen part run once: the model is cut where block K starts
 * (after `pool1` for K = 2, after the transition `pool{K−1}_pool` otherwise; scope.ts names the
 * stages), the frozen prefix's output is computed once per round for every training image and
 * cached, and only the suffix runs forward and backward at each step.
 *
 * Exact only when the prefix sees the same input at every step: no augmentation (which draws a new
 * transform of each image every epoch) and inference-mode layers in the prefix. Both hold for a
 * frozen prefix in our loop: its BatchNorm layers use moving statistics (layer-modes.ts) and it has
 * no dropout. Cache memory: one prefix output per image (DenseNet201 at 224 px from block 4:
 * 14×14×896 floats = 0.7 MB per image).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layerStage } from '../train/scope';

export interface SplitModel {
  /** Input → the output of the last frozen layer. */
  prefix: tfl.LayersModel;
  /** That output → the model's output; its layers are the original model's (shared weights). */
  suffix: tfl.LayersModel;
}

/** Name of the layer whose output dense block `fromBlock` reads. */
function cutLayerName(fromBlock: number): string {
  return fromBlock === 2 ? 'pool1' : `pool${fromBlock - 1}_pool`;
}

/**
 * Splits a Keras-named DenseNet at the start of dense block `fromBlock`.
 * @example const { prefix, suffix } = splitAtBlock(model, 4); // suffix.inputs[0].shape: [null, 14, 14, 896] at 224 px
 */
export function splitAtBlock(model: tfl.LayersModel, fromBlock: number): SplitModel {
  const name = cutLayerName(fromBlock);
  const cutIndex = model.layers.findIndex((l) => l.name === name);
  if (cutIndex < 0)
    throw new Error(`${model.name} has no layer ${name}, where dense block ${fromBlock} starts`);
  const cut = model.layers[cutIndex]!.inboundNodes[0]!.outputTensors[0]!;
  const prefix = tfl.model({ inputs: model.inputs, outputs: cut, name: `${model.name}_prefix` });
  const input = tfl.input({ shape: cut.shape.slice(1) as number[], name: `${name}_features` });
  const mapped = new Map<tfl.SymbolicTensor, tfl.SymbolicTensor>([[cut, input]]);
  for (const layer of model.layers.slice(cutIndex + 1)) {
    const stage = layerStage(layer.name);
    if (stage === 'stem' || (typeof stage === 'number' && stage < fromBlock)) {
      throw new Error(`layer ${layer.name} comes after ${name} but belongs before dense block ${fromBlock}`);
    }
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map((t) => {
      const m = mapped.get(t);
      if (!m) throw new Error(`layer ${layer.name} reads ${t.name}, which is not computed after ${name}`);
      return m;
    });
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tfl.SymbolicTensor;
    mapped.set(node.outputTensors[0]!, out);
  }
  const output = mapped.get(model.outputs[0]!);
  if (!output) throw new Error(`the output of ${model.name} does not follow ${name}`);
  const suffix = tfl.model({ inputs: input, outputs: output, name: `${model.name}_suffix` });
  return { prefix, suffix };
}

/**
 * The prefix's output for every image (HWC Float32Arrays of the model's input size), in batches.
 * @example const features = await prefixFeatures(prefix, images, 8);
 */
export async function prefixFeatures(
  prefix: tfl.LayersModel,
  images: readonly Float32Array[],
  batchSize: number,
): Promise<Float32Array[]> {
  const [, h, w, c] = prefix.inputs[0]!.shape as number[];
  const out: Float32Array[] = [];
  for (let a = 0; a < images.length; a += batchSize) {
    const chunk = images.slice(a, a + batchSize);
    const y = tf.tidy(() => {
      const x = tf.stack(chunk.map((im) => tf.tensor3d(im, [h!, w!, c!])));
      return prefix.predict(x) as tf.Tensor;
    });
    const values = (await y.data()) as Float32Array;
    const per = values.length / chunk.length;
    chunk.forEach((_, k) => out.push(values.slice(k * per, (k + 1) * per)));
    y.dispose();
  }
  return out;
}
