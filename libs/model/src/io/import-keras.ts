/**
 * Keras HDF5 weights → the tfjs layers format, without Python or TensorFlow: the architecture is
 * built here (for its topology and the expected names and shapes), every shape is checked before a
 * value is read, then the datasets are read one by one straight into the weight shards. The result
 * is what {@link readLayersFormatWeights} and `tf.loadLayersModel` read.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type * as tf from '@tensorflow/tfjs-core';
import type { Architecture } from '../densenet/architectures';
import { buildModel, type Head } from '../densenet/build-model';
import { Hdf5File } from './hdf5-file';
import { type KerasH5Layout, listKerasH5Tensors, type WeightedLayer } from './keras-h5';
import { matchKerasTensors } from './keras-weight-check';
import { layersFormatDir } from './layers-format';
import { type NamedWeight, weightShapes } from './named-weights';

export interface ImportKerasOptions {
  arch: Architecture;
  /** Drop Keras's classifier (`include_top=False`); a classifier in the file is then ignored. */
  noTop?: boolean;
  /** Classes of Keras's classifier (default 1000, ImageNet). */
  classes?: number;
  /** Input size written into the topology (default 224); weights do not depend on it. */
  inputSize?: number;
  /** Called after each tensor is read: tensors and bytes done so far, and the totals. */
  onProgress?: (p: { tensors: number; totalTensors: number; bytes: number; totalBytes: number }) => void;
}

export interface ImportKerasResult {
  layout: KerasH5Layout;
  arch: Architecture;
  head: Head;
  classes: number;
  tensors: number;
  params: number;
}

/** The model's layers that have weights, with their weights' short names, in model order. */
export function weightedLayers(model: tfl.LayersModel): WeightedLayer[] {
  return model.layers
    .filter((l) => l.weights.length > 0)
    .map((l) => ({
      className: l.getClassName(),
      name: l.name,
      weights: l.weights.map((w) => w.originalName.slice(w.originalName.lastIndexOf('/') + 1)),
    }));
}

/** What the architecture expects: topology, weight names and shapes, weighted layers. */
function describeTarget(options: ImportKerasOptions) {
  const { arch, noTop = false, classes = 1000, inputSize = 224 } = options;
  const head: Head = noTop ? 'none' : 'imagenet';
  // Built only for its topology, names and shapes; disposed before any value is read, so the
  // architecture's random weights and the file's are never in memory together.
  const model = buildModel({ arch, inputSize, head, classes, seed: 0 });
  try {
    return {
      head,
      topology: model.toJSON(null, false) as tf.io.ModelArtifacts['modelTopology'],
      expected: weightShapes(model),
      layers: weightedLayers(model),
    };
  } finally {
    model.dispose();
  }
}

/**
 * Reads a Keras weights file as named float32 weights in the architecture's order (with `noTop`,
 * without the classifier), after checking every name and shape; throws `Hdf5Error` (not HDF5,
 * truncated, unreadable) or `KerasImportError` (layout, names, shapes) naming the problem and the
 * flag that fixes it. What a study's `init_weights: "x.h5"` goes through.
 *
 * @example (await readKerasH5Weights('densenet201.h5', { arch: 'densenet201', noTop: true })).weights[0].name // 'conv1_conv/kernel'
 */
export async function readKerasH5Weights(
  file: string,
  options: ImportKerasOptions,
): Promise<ImportKerasResult & { weights: NamedWeight[]; topology: tf.io.ModelArtifacts['modelTopology'] }> {
  const { arch, noTop = false, classes = 1000 } = options;
  const { head, topology, expected, layers } = describeTarget(options);
  const h5 = await Hdf5File.open(file);
  try {
    const { layout, tensors, keras3Convs } = listKerasH5Tensors(h5, layers);
    const matched = matchKerasTensors(expected, tensors, {
      file,
      arch,
      layout,
      noTop,
      ...(keras3Convs === undefined ? {} : { keras3Convs }),
    });
    const totalBytes = matched.reduce((a, t) => a + 4 * t.shape.reduce((x, y) => x * y, 1), 0);
    const weights: NamedWeight[] = [];
    let bytes = 0;
    for (const t of matched) {
      const { values } = h5.readFloat32(t.path);
      weights.push({ name: t.name, shape: [...t.shape], values });
      bytes += values.byteLength;
      options.onProgress?.({ tensors: weights.length, totalTensors: matched.length, bytes, totalBytes });
    }
    return {
      layout,
      arch,
      head,
      classes: noTop ? 0 : classes,
      tensors: matched.length,
      params: totalBytes / 4,
      weights,
      topology,
    };
  } finally {
    h5.close();
  }
}

/**
 * Imports `file` into the layers-format directory `outDir` ({@link readKerasH5Weights}, then the
 * values go into the shards without another copy of the whole set).
 *
 * @example await importKerasH5('densenet201_weights_tf_dim_ordering_tf_kernels.h5', 'models/densenet201', { arch: 'densenet201' });
 */
export async function importKerasH5(
  file: string,
  outDir: string,
  options: ImportKerasOptions,
): Promise<ImportKerasResult> {
  const { weights, topology, ...result } = await readKerasH5Weights(file, options);
  await layersFormatDir(outDir).save({
    modelTopology: topology,
    format: 'layers-model',
    generatedBy: `fedaln-model import-keras (${result.layout})`,
    convertedBy: null,
    weightSpecs: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' as const })),
    // h5wasm hands each dataset out in its own buffer; only a view into a larger one is copied.
    weightData: weights.map(({ values }) =>
      values.byteOffset === 0 && values.byteLength === values.buffer.byteLength
        ? (values.buffer as ArrayBuffer)
        : (values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength) as ArrayBuffer),
    ),
  });
  return result;
}
