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
import { weightShapes } from './named-weights';

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

/**
 * Imports `file` into the layers-format directory `outDir`; throws `Hdf5Error` (not HDF5, truncated)
 * or `KerasImportError` (layout, names, shapes) naming the problem and the flag to fix it.
 *
 * @example await importKerasH5('densenet201_weights_tf_dim_ordering_tf_kernels.h5', 'models/densenet201', { arch: 'densenet201' });
 */
export async function importKerasH5(
  file: string,
  outDir: string,
  options: ImportKerasOptions,
): Promise<ImportKerasResult> {
  const { arch, noTop = false, classes = 1000, inputSize = 224 } = options;
  const head: Head = noTop ? 'none' : 'imagenet';
  // Built only for its topology, names and shapes; disposed before any value is read, so the
  // architecture's random weights and the file's are never in memory together.
  const model = buildModel({ arch, inputSize, head, classes, seed: 0 });
  let topology: tf.io.ModelArtifacts['modelTopology'];
  let expected: { name: string; shape: number[] }[];
  let layers: WeightedLayer[];
  try {
    topology = model.toJSON(null, false) as tf.io.ModelArtifacts['modelTopology'];
    expected = weightShapes(model);
    layers = weightedLayers(model);
  } finally {
    model.dispose();
  }

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
    const buffers: ArrayBuffer[] = [];
    let bytes = 0;
    for (const t of matched) {
      const { values } = h5.readFloat32(t.path);
      const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
      buffers.push(
        (whole
          ? values.buffer
          : values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) as ArrayBuffer,
      );
      bytes += values.byteLength;
      options.onProgress?.({ tensors: buffers.length, totalTensors: matched.length, bytes, totalBytes });
    }
    await layersFormatDir(outDir).save({
      modelTopology: topology,
      format: 'layers-model',
      generatedBy: `fedaln-model import-keras (${layout})`,
      convertedBy: null,
      weightSpecs: expected.map((e) => ({ name: e.name, shape: e.shape, dtype: 'float32' as const })),
      weightData: buffers,
    });
    return {
      layout,
      arch,
      head,
      classes: noTop ? 0 : classes,
      tensors: matched.length,
      params: totalBytes / 4,
    };
  } finally {
    h5.close();
  }
}
