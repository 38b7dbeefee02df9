import type * as tf from '@tensorflow/tfjs-core';

/** The arguments tfjs passes a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}

/** The wasm backend's own kernels that ours replace, by kernel name. */
const builtIns = new Map<string, tf.KernelFunc>();

/**
 * Records the backend's own kernel for `kernelName` before ours replaces it (kernels/index.ts); the
 * first one recorded stays, so registering ours again does not record ours as the built-in.
 */
export function keepBuiltIn(kernelName: string, kernel: tf.KernelFunc | undefined): void {
  if (kernel !== undefined && !builtIns.has(kernelName)) builtIns.set(kernelName, kernel);
}

/**
 * Runs the backend's own kernel for the cases ours does not cover (other dtypes, layouts).
 *
 * @example
 * if (x.dtype !== 'float32') return runBuiltIn(tf.SplitV, args) as tf.TensorInfo[];
 */
export function runBuiltIn(kernelName: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const kernel = builtIns.get(kernelName);
  if (!kernel) throw new Error(`${kernelName} (wasm): the backend’s own kernel was not recorded`);
  return kernel(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo | tf.TensorInfo[];
}
