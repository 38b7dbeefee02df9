import * as tfl from '@tensorflow/tfjs-layers';
import {
  type Architecture,
  ARCHITECTURES,
  DENSENET_SPECS,
  finalFeatureSize,
  isArchitecture,
} from './architectures';
import { batchNorm, conv, denseBlock, relu, transitionBlock } from './blocks';
import { SeededInitializers } from './seeded-initializers';

type Symbolic = tfl.SymbolicTensor;

/**
 * `imagenet`: Keras's top (`avg_pool` → `predictions`, softmax over `classes`);
 * `binary`: the FedALN head (`aln_pool` → `aln_dropout` → `aln_output`, one sigmoid unit);
 * `none`: the 4-D output of `relu`, as Keras's `include_top=False, pooling=None`.
 */
export const HEADS = ['imagenet', 'binary', 'none'] as const;
export type Head = (typeof HEADS)[number];

export interface BuildModelOptions {
  arch: Architecture;
  /** Side of the square RGB input in pixels (default 224, Keras's default size). */
  inputSize?: number;
  /** Default `binary`, the FedALN task. */
  head?: Head;
  /** Classes of the `imagenet` head (default 1000). */
  classes?: number;
  /** Dropout rate of the `binary` head (default 0.5). */
  dropout?: number;
  /** Seed for every initializer: the same seed gives the same weights (dropout masks stay random). */
  seed?: number;
}

/**
 * Builds a DenseNet whose layer names, weight names and weight order are those of Keras
 * applications (`keras/src/applications/densenet.py`), so Keras weights converted with
 * tensorflowjs_converter load by name. With Keras's top, DenseNet201 has 20,242,984 parameters.
 *
 * @example
 * const model = buildModel({ arch: 'densenet201', inputSize: 224, head: 'binary', seed: 1 });
 * model.predict(tf.zeros([1, 224, 224, 3])); // shape [1, 1]
 */
export function buildModel(options: BuildModelOptions): tfl.LayersModel {
  const { arch, inputSize = 224, head = 'binary', classes = 1000, dropout = 0.5, seed } = options;
  if (!isArchitecture(arch)) {
    throw new Error(`arch "${String(arch)}" is not a DenseNet; expected one of ${ARCHITECTURES.join(', ')}`);
  }
  if (!(HEADS as readonly string[]).includes(head)) {
    throw new Error(`head "${String(head)}" is unknown; expected one of ${HEADS.join(', ')}`);
  }
  const spec = DENSENET_SPECS[arch];
  if (!Number.isInteger(inputSize) || finalFeatureSize(spec, inputSize) < 1) {
    throw new Error(`inputSize ${inputSize} is too small for ${arch}; expected an integer of at least 32`);
  }
  if (head === 'imagenet' && (!Number.isInteger(classes) || classes < 1)) {
    throw new Error(`classes ${classes} is not a positive integer`);
  }
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout ${dropout} is outside [0, 1)`);

  const init = new SeededInitializers(seed);
  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  // Keras leaves both paddings unnamed; these are the names Keras gives them.
  let x = tfl.layers
    .zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'zero_padding2d',
    })
    .apply(input) as Symbolic;
  x = conv(x, init, spec.initialFilters, 7, 'conv1_conv', { strides: 2 });
  x = relu(batchNorm(x, 'conv1_bn'), 'conv1_relu');
  x = tfl.layers
    .zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'zero_padding2d_1',
    })
    .apply(x) as Symbolic;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x) as Symbolic;

  spec.blocks.forEach((blocks, b) => {
    x = denseBlock(x, init, blocks, spec.growthRate, `conv${b + 2}`);
    if (b < spec.blocks.length - 1) x = transitionBlock(x, init, spec.compression, `pool${b + 2}`);
  });
  x = relu(batchNorm(x, 'bn'), 'relu');

  if (head === 'imagenet') {
    x = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Symbolic;
    x = tfl.layers
      .dense({ units: classes, activation: 'softmax', kernelInitializer: init.kernel(), name: 'predictions' })
      .apply(x) as Symbolic;
  } else if (head === 'binary') {
    x = tfl.layers.globalAveragePooling2d({ name: 'aln_pool' }).apply(x) as Symbolic;
    // No seed: tfjs draws a dropout mask from a fresh generator per call, so a fixed seed would
    // drop the same units at every step. The seed fixes weights, not masks.
    x = tfl.layers.dropout({ rate: dropout, name: 'aln_dropout' }).apply(x) as Symbolic;
    x = tfl.layers
      .dense({ units: 1, activation: 'sigmoid', kernelInitializer: init.kernel(), name: 'aln_output' })
      .apply(x) as Symbolic;
  }
  return tfl.model({ inputs: input, outputs: x, name: spec.modelName });
}
