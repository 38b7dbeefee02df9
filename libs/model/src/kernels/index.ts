/**
 * Kernels the wasm backend needs for training and tfjs-backend-wasm 4.22 does not have. Of the
 * kernels whose gradients a DenseNet step uses (Conv2D, FusedBatchNorm's composed gradient, Relu's
 * Step, AvgPool/MaxPool with AvgPoolGrad/MaxPoolGrad, Concat/Pad via Slice, Mean, BatchMatMul,
 * Sigmoid), only `Conv2DBackpropFilter` is missing: `tf.getKernelsForBackend('wasm')` lacks it and
 * nothing else the layers use. Importing this module registers the missing kernels once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter';
import { keepBuiltIn, type KernelArgs } from './built-in-kernels';
import { conv2DBackpropInputWasm } from './conv2d-backprop-input';
import { fusedBatchNormWasm } from './fused-batch-norm';
import { replaceFusedBatchNormGradient } from './fused-batch-norm-grad';
import { identityAliasWasm } from './identity-alias';
import { splitVWasm } from './split-v';

export { conv2DBackpropFilterWasm, MAX_GROUP_BYTES } from './conv2d-backprop-filter';
export { conv2DBackpropInputWasm } from './conv2d-backprop-input';
export { fusedBatchNormWasm } from './fused-batch-norm';
export { fusedBatchNormGradConfig } from './fused-batch-norm-grad';
export { identityAliasWasm } from './identity-alias';
export { splitVWasm } from './split-v';

/** The kernels this package adds to the wasm backend. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm },
];

/**
 * Registers {@link WASM_TRAINING_KERNELS} for the wasm backend, skipping any already registered
 * (tfjs warns on a second registration, and a later tfjs-backend-wasm may ship its own).
 * Returns the names it registered. Idempotent; runs on import of `@fedaln/model`.
 * @example
 * registerWasmTrainingKernels(); // [] when already done
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName)) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  added.push(...replaceWasmKernels());
  // Backend-independent, but it was written for wasm's cost profile (fused-batch-norm-grad.ts).
  if (replaceFusedBatchNormGradient()) added.push(`${tf.FusedBatchNorm} gradient`);
  return added;
}

/** Kernels tfjs-backend-wasm has but we replace; the built-in ones are kept (built-in-kernels.ts). */
const REPLACED: ReadonlyArray<{
  kernelName: string;
  kernelFunc: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
}> = [
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInputWasm },
  { kernelName: tf.Identity, kernelFunc: identityAliasWasm },
  { kernelName: tf.SplitV, kernelFunc: splitVWasm },
  { kernelName: tf.FusedBatchNorm, kernelFunc: fusedBatchNormWasm },
];

/**
 * Replaces the {@link REPLACED} kernels with ours (conv2d-backprop-input.ts, identity-alias.ts,
 * split-v.ts, fused-batch-norm.ts).
 * Ours keep the built-in kernel's `setupFunc` (its cwrap, run when the backend initialises) and call
 * the built-in kernel for the cases they do not cover. Returns the names it replaced.
 */
function replaceWasmKernels(): string[] {
  const replaced: string[] = [];
  for (const { kernelName, kernelFunc } of REPLACED) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (current?.kernelFunc === kernelFunc) continue;
    keepBuiltIn(kernelName, current?.kernelFunc);
    if (current) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      ...(current?.setupFunc ? { setupFunc: current.setupFunc } : {}),
    });
    replaced.push(kernelName);
  }
  return replaced;
}

registerWasmTrainingKernels();
