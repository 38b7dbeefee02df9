/**
 * `SplitV` for the wasm backend reading its input in place. tfjs-backend-wasm 4.22 runs SplitV as one
 * `Slice` per piece, and its Slice first copies the whole input out of the heap (`readSync`): the
 * gradient of every DenseNet concatenation (98 per step) splits an activation-sized gradient in
 * two, so each step copied those gradients twice over for nothing (readSync was the largest JS cost
 * in a CPU profile of a DenseNet201 step after the wasm kernels: ~70 ms of 2.4 s at 128 px, 4
 * images). Here each piece is cut from a view of the heap, one run per outer index.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelArgs, runBuiltIn } from './built-in-kernels';

/** Runs shorter than this are copied element by element (a subarray + set costs more). */
const SHORT_RUN = 64;

/**
 * The wasm kernel function for `SplitV` (input `x`; attrs `numOrSizeSplits`, `axis`).
 * @example
 * const [a, b] = tf.engine().runKernel('SplitV', { x }, { numOrSizeSplits: [3, 5], axis: 3 });
 */
export function splitVWasm(args: KernelArgs): tf.TensorInfo[] {
  const { x } = args.inputs;
  if (!x) throw new Error('SplitV (wasm) needs input x');
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  if (x.dtype !== 'float32') {
    return runBuiltIn(tf.SplitV, args) as tf.TensorInfo[];
  }
  const backend = args.backend as BackendWasm;
  const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const rowLength = x.shape[a]! * inner;
  let offset = 0;
  return sizes.map((size) => {
    const shape = [...x.shape];
    shape[a] = size;
    const out = backend.makeOutput(shape, 'float32');
    // Views after makeOutput: allocating can grow the wasm heap, which detaches older views.
    const from = backend.typedArrayFromHeap(x) as Float32Array;
    const to = backend.typedArrayFromHeap(out) as Float32Array;
    const run = size * inner;
    for (let r = 0, src = offset, dst = 0; r < outer; r++, src += rowLength, dst += run) {
      if (run < SHORT_RUN) for (let k = 0; k < run; k++) to[dst + k] = from[src + k]!;
      else to.set(from.subarray(src, src + run), dst);
    }
    offset += run;
    return out;
  });
}
