/**
 * Where each weight of a DenseNet sits in a Keras HDF5 weights file, in the three layouts Keras
 * writes, named as the project names weights (`conv1_conv/kernel`, {@link kerasWeightName}):
 * - `keras2-model`: Keras 2 `model.save('x.h5')`: group `model_weights` whose `layer_names`
 *   attribute lists the layers; each layer group's `weight_names` attribute lists its weights in
 *   order (`conv1/conv/kernel:0`), each a dataset under that name inside the layer group.
 * - `keras2-weights`: Keras 2 `save_weights('x.h5')` (and keras-applications' ImageNet files): the same
 *   at the root.
 * - `keras3`: Keras 3 `save_weights('x.weights.h5')` (`keras/src/saving/saving_lib.py`,
 *   `_save_container_state`): no layer names; layers are keyed by snake-cased class name and a
 *   per-class counter in model order (`layers/conv2d`, `layers/conv2d_1`, `layers/batch_normalization`,
 *   `layers/dense`), each with datasets `vars/0`, `vars/1`, ... in the layer's weight order (Conv2D
 *   kernel; BatchNormalization gamma, beta, moving_mean, moving_variance; Dense kernel, bias). So a
 *   Keras 3 file is mapped through the architecture's own layer order.
 */
import type { Hdf5File } from './hdf5-file';
import { kerasWeightName } from './keras-names';

export const KERAS_H5_LAYOUTS = ['keras2-model', 'keras2-weights', 'keras3'] as const;
export type KerasH5Layout = (typeof KERAS_H5_LAYOUTS)[number];

/** One weight found in the file: the project's name, the dataset's path, its shape. */
export interface KerasH5Tensor {
  readonly name: string;
  readonly path: string;
  readonly shape: readonly number[];
}

/** A layer of the target model that has weights: Keras class name, layer name, weight names in order. */
export interface WeightedLayer {
  readonly className: string;
  readonly name: string;
  readonly weights: readonly string[];
}

/** Keras 3's key for a class: `naming.to_snake_case` of the class name, for the classes with weights. */
const KERAS3_CLASS_KEYS: Readonly<Record<string, string>> = {
  Conv2D: 'conv2d',
  BatchNormalization: 'batch_normalization',
  Dense: 'dense',
};

/**
 * Which layout the file has, or an error naming what was looked for.
 *
 * @example kerasH5Layout(h5) // 'keras2-weights' for keras-applications' densenet201_weights_tf_dim_ordering_tf_kernels.h5
 */
export function kerasH5Layout(h5: Hdf5File): KerasH5Layout {
  if (h5.stringsAttr('model_weights', 'layer_names')) return 'keras2-model';
  if (h5.stringsAttr('', 'layer_names')) return 'keras2-weights';
  if (keras3Base(h5)) return 'keras3';
  throw new Error(
    `${h5.file} is HDF5 but not a Keras weights file: expected a "layer_names" attribute on / or ` +
      `/model_weights (Keras 2 save / save_weights) or a "layers" group with "conv2d" (Keras 3 .weights.h5); ` +
      `found top-level members [${(h5.keys('') ?? []).slice(0, 8).join(', ')}]`,
  );
}

/** The group holding the layers of a Keras 3 file: `layers`, or one nested model's `layers/<m>/layers`. */
function keras3Base(h5: Hdf5File): string | null {
  const top = h5.keys('layers');
  if (!top) return null;
  if (top.includes('conv2d')) return 'layers';
  for (const k of top) if (h5.keys(`layers/${k}/layers`)?.includes('conv2d')) return `layers/${k}/layers`;
  return null;
}

/** Keras 2 layouts: every weight the `layer_names` / `weight_names` attributes list. */
function keras2Tensors(h5: Hdf5File, root: string): KerasH5Tensor[] {
  const prefix = root ? `${root}/` : '';
  const out: KerasH5Tensor[] = [];
  for (const layer of h5.stringsAttr(root, 'layer_names') ?? []) {
    for (const weight of h5.stringsAttr(`${prefix}${layer}`, 'weight_names') ?? []) {
      const p = `${prefix}${layer}/${weight}`;
      const shape = h5.datasetShape(p);
      if (!shape) {
        throw new Error(
          `${h5.file}: layer ${layer} lists weight ${weight} in "weight_names" but there is no dataset ${p}; the file is damaged`,
        );
      }
      const short = weight.replace(/:\d+$/, '').split('/').at(-1)!;
      out.push({ name: kerasWeightName(`${layer}/${short}`), path: p, shape });
    }
  }
  return out;
}

/**
 * Keras 3: the `vars` of each class key, mapped in order onto the model's layers of that class;
 * keys or vars the model has no place for come back under their file path as names.
 */
function keras3Tensors(h5: Hdf5File, base: string, layers: readonly WeightedLayer[]): KerasH5Tensor[] {
  const out: KerasH5Tensor[] = [];
  const counters = new Map<string, number>();
  const used = new Set<string>();
  for (const layer of layers) {
    const cls = KERAS3_CLASS_KEYS[layer.className];
    if (!cls) throw new Error(`layer ${layer.name}: Keras 3 class key of ${layer.className} is unknown`);
    const n = counters.get(cls) ?? 0;
    counters.set(cls, n + 1);
    const key = n === 0 ? cls : `${cls}_${n}`;
    used.add(key);
    const vars = h5.keys(`${base}/${key}/vars`) ?? [];
    layer.weights.forEach((w, i) => {
      const p = `${base}/${key}/vars/${i}`;
      const shape = vars.includes(String(i)) ? h5.datasetShape(p) : null;
      if (shape) out.push({ name: `${layer.name}/${w}`, path: p, shape });
    });
    for (const v of vars) {
      const p = `${base}/${key}/vars/${v}`;
      const shape = h5.datasetShape(p);
      if (!(Number(v) < layer.weights.length) && shape) out.push({ name: p, path: p, shape });
    }
  }
  const keyed = /^(conv2d|batch_normalization|dense)(_\d+)?$/;
  for (const key of h5.keys(base) ?? []) {
    if (!keyed.test(key) || used.has(key)) continue;
    for (const v of h5.keys(`${base}/${key}/vars`) ?? []) {
      const p = `${base}/${key}/vars/${v}`;
      const shape = h5.datasetShape(p);
      if (shape) out.push({ name: p, path: p, shape });
    }
  }
  return out;
}

/**
 * Every weight dataset of a Keras weights file with the project's name and its shape, without
 * reading values. `layers` (the target model's weighted layers, in order) names a Keras 3 file's
 * weights; Keras 2 files name their own.
 *
 * @example listKerasH5Tensors(h5, weightedLayers(model)).tensors[0] // { name: 'conv1_conv/kernel', path: 'conv1/conv/conv1/conv/kernel:0', shape: [7, 7, 3, 64] }
 */
export function listKerasH5Tensors(
  h5: Hdf5File,
  layers: readonly WeightedLayer[],
): { layout: KerasH5Layout; tensors: KerasH5Tensor[]; keras3Convs?: number } {
  const layout = kerasH5Layout(h5);
  if (layout === 'keras2-model') return { layout, tensors: keras2Tensors(h5, 'model_weights') };
  if (layout === 'keras2-weights') return { layout, tensors: keras2Tensors(h5, '') };
  const base = keras3Base(h5)!;
  const keras3Convs = (h5.keys(base) ?? []).filter((k) => /^conv2d(_\d+)?$/.test(k)).length;
  return { layout, tensors: keras3Tensors(h5, base, layers), keras3Convs };
}
