/**
 * Calling registered wasm kernels from inside another wasm kernel. tfjs-backend-wasm composes its own
 * kernels by calling their kernel functions directly with the backend (its `BatchMatMul` calls
 * `reshape`, its `Transpose` calls `identity`), so intermediate results are bare `TensorInfo`s that
 * the engine never sees: whoever receives one owns one reference and must release it with
 * {@link WasmScope.release} (`backend.disposeData`), or return it as the kernel's output.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** A wasm kernel call made on behalf of a composite kernel, with the references it still owns. */
export class WasmScope {
  private readonly owned = new Set<tf.TensorInfo>();

  constructor(readonly backend: BackendWasm) {}

  /**
   * Runs the wasm kernel `kernelName` on `inputs` and takes ownership of its single output.
   * @example
   * const t = scope.call('Transpose', { x }, { perm: [1, 0] });
   */
  call(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel)
      throw new Error(
        `wasm kernel ${kernelName} is not registered; @tensorflow/tfjs-backend-wasm 4.22 has it`,
      );
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out))
      throw new Error(`wasm kernel ${kernelName} returned ${out.length} outputs, expected one`);
    this.owned.add(out);
    return out;
  }

  /** Takes ownership of a buffer this scope's caller made with `backend.makeOutput`. */
  own(info: tf.TensorInfo): tf.TensorInfo {
    this.owned.add(info);
    return info;
  }

  /** Drops this scope's reference to `info` (a kernel output, or a reshape aliasing an input's data). */
  release(info: tf.TensorInfo): void {
    if (this.owned.delete(info)) this.backend.disposeData(info.dataId);
  }

  /** Hands `info` to the caller (the composite kernel's output): this scope no longer releases it. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    this.owned.delete(info);
    return info;
  }

  /** Releases every reference still owned, e.g. after an error part-way through a kernel. */
  releaseAll(): void {
    for (const info of this.owned) this.backend.disposeData(info.dataId);
    this.owned.clear();
  }
}
