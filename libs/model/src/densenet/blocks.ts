/**
 * The two DenseNet building blocks with the layer names of Keras applications
 * (`keras/src/applications/densenet.py`, `conv_block` and `transition_block`), so weight names
 * (`conv4_block48_2_conv/kernel`, `pool3_bn/gamma`, ...) match a tensorflowjs_converter export.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { SeededInitializers } from './seeded-initializers';

type Symbolic = tfl.SymbolicTensor;

/** Keras DenseNet's BatchNormalization: channels-last axis 3, epsilon 1.001e-5. */
export function batchNorm(x: Symbolic, name: string): Symbolic {
  return tfl.layers.batchNormalization({ axis: 3, epsilon: 1.001e-5, name }).apply(x) as Symbolic;
}

export function relu(x: Symbolic, name: string): Symbolic {
  return tfl.layers.activation({ activation: 'relu', name }).apply(x) as Symbolic;
}

export function conv(
  x: Symbolic,
  init: SeededInitializers,
  filters: number,
  kernelSize: number,
  name: string,
  opts: { strides?: number; padding?: 'valid' | 'same' } = {},
): Symbolic {
  return tfl.layers
    .conv2d({
      filters,
      kernelSize,
      strides: opts.strides ?? 1,
      padding: opts.padding ?? 'valid',
      useBias: false,
      kernelInitializer: init.kernel(),
      name,
    })
    .apply(x) as Symbolic;
}

/**
 * One conv block: BN-ReLU-Conv(1×1, 4k)-BN-ReLU-Conv(3×3, k), concatenated to its input, so the
 * channel count grows by the growth rate k.
 */
export function convBlock(x: Symbolic, init: SeededInitializers, growthRate: number, name: string): Symbolic {
  let x1 = relu(batchNorm(x, `${name}_0_bn`), `${name}_0_relu`);
  x1 = conv(x1, init, 4 * growthRate, 1, `${name}_1_conv`);
  x1 = relu(batchNorm(x1, `${name}_1_bn`), `${name}_1_relu`);
  x1 = conv(x1, init, growthRate, 3, `${name}_2_conv`, { padding: 'same' });
  return tfl.layers.concatenate({ axis: 3, name: `${name}_concat` }).apply([x, x1]) as Symbolic;
}

/** A dense block `conv{b}`: conv blocks `conv{b}_block1 … conv{b}_block{n}`. */
export function denseBlock(
  x: Symbolic,
  init: SeededInitializers,
  blocks: number,
  growthRate: number,
  name: string,
): Symbolic {
  for (let i = 1; i <= blocks; i++) x = convBlock(x, init, growthRate, `${name}_block${i}`);
  return x;
}

/**
 * A transition `pool{b}`: BN-ReLU-Conv(1×1, ⌊channels × compression⌋)-AvgPool(2×2, stride 2);
 * the floor is Keras's `int(x.shape[3] * reduction)`.
 */
export function transitionBlock(
  x: Symbolic,
  init: SeededInitializers,
  compression: number,
  name: string,
): Symbolic {
  const channels = x.shape[3];
  if (channels == null) throw new Error(`transition ${name}: input has no static channel count`);
  x = relu(batchNorm(x, `${name}_bn`), `${name}_relu`);
  x = conv(x, init, Math.floor(channels * compression), 1, `${name}_conv`);
  return tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }).apply(x) as Symbolic;
}
