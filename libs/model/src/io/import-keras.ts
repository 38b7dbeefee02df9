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
import { type KerasH5Layout, type KerasH5Tensor, listKerasH5Tensors, type WeightedLayer } from './keras-h5';
import { matchKerasTensors } from './keras-weight-check';
import { writeModelJson, writeShards } from './layers-format';
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

/** Opens the file, checks every name and shape, and hands the matched tensors and a reader to `use`. */
async function withCheckedFile<T>(
  file: string,
  options: ImportKerasOptions,
  use: (
    found: {
      result: ImportKerasResult;
      topology: tf.io.ModelArtifacts['modelTopology'];
      tensors: KerasH5Tensor[];
    },
    read: (t: KerasH5Tensor) => Float32Array,
  ) => Promise<T>,
): Promise<T> {
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
    const result = {
      layout,
      arch,
      head,
      classes: noTop ? 0 : classes,
      tensors: matched.length,
      params: totalBytes / 4,
    };
    let done = 0;
    let bytes = 0;
    const read = (t: KerasH5Tensor) => {
      const { values } = h5.readFloat32(t.path);
      bytes += values.byteLength;
      options.onProgress?.({ tensors: ++done, totalTensors: matched.length, bytes, totalBytes });
      return values;
    };
    return await use({ result, topology, tensors: matched }, read);
  } finally {
    h5.close();
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
): Promise<ImportKerasResult & { weights: NamedWeight[] }> {
  return withCheckedFile(file, options, async ({ result, tensors }, read) => ({
    ...result,
    weights: tensors.map((t) => ({ name: t.name, shape: [...t.shape], values: read(t) })),
  }));
}

/**
 * Imports `file` into the layers-format directory `outDir`: each tensor goes from the file into the
 * shards as it is read, so only one tensor and one shard are in memory at a time.
 *
 * @example await importKerasH5('densenet201_weights_tf_dim_ordering_tf_kernels.h5', 'models/densenet201', { arch: 'densenet201' });
 */
export async function importKerasH5(
  file: string,
  outDir: string,
  options: ImportKerasOptions,
): Promise<ImportKerasResult> {
  return withCheckedFile(file, options, async ({ result, topology, tensors }, read) => {
    const chunks = function* () {
      for (const t of tensors) {
        const values = read(t);
        yield new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      }
    };
    const paths = await writeShards(outDir, result.params * 4, chunks());
    await writeModelJson(
      outDir,
      {
        modelTopology: topology,
        format: 'layers-model',
        generatedBy: `fedaln-model import-keras (${result.layout})`,
        convertedBy: null,
        weightSpecs: tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' as const })),
      },
      paths,
    );
    return result;
  });
}
