/**
 * `Identity` for the wasm backend as a second reference to the same buffer, as tfjs-backend-cpu and
 * tfjs-backend-webgl implement it (`backend.incRef`), instead of tfjs-backend-wasm 4.22's copy.
 * tfjs-core clones every tensor a gradient needs (`Engine.saveTensorsForBackwardMode` runs
 * `Identity` on each), so with the copying kernel a training step duplicated every saved activation:
 * measured on DenseNet201 at 128 px, 5 658 copies per forward pass of 4 images and about half the
 * step's peak memory. Tensors are immutable and every wasm kernel writes only into buffers it made
 * with `makeOutput`, so sharing is safe; the backend frees the buffer (and drops the XNNPACK
 * operators cached by its id) when the last reference is disposed, as for its own `Reshape`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelArgs, runBuiltIn } from './built-in-kernels';

/**
 * The wasm kernel function for `Identity`: the output shares the input's buffer.
 * @example
 * const y = tf.engine().runKernel('Identity', { x }); // y.dataId === x.dataId on wasm
 */
export function identityAliasWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs;
  if (!x) throw new Error('Identity (wasm) needs input x');
  if (x.dtype === 'string') {
    return runBuiltIn(tf.Identity, args) as tf.TensorInfo;
  }
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
