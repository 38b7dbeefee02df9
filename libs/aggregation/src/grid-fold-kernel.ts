import { GRID_FOLD_WASM_BASE64 } from './grid-fold.wasm';

/**
 * The grid-fold wasm kernel (wasm/grid-fold.wat, its bytes in grid-fold.wasm.ts): compiled once per
 * process, instantiated on a shared wasm memory by every thread that folds — the thread of a
 * GridSum and its worker (fold-worker.ts), which is handed the compiled module rather than
 * compiling it again. The only part of the WebAssembly API this package uses is here.
 *
 * @example
 * const memory = sharedMemory(CONTROL_BYTES + RING * SLOT_BYTES);
 * const kernel = instantiateGridFold(gridFoldModule(), memory);
 * kernel.run(4 * blockOf(0)); // folds the job in slot 0's control block (fold-memory.ts)
 */

/** The kernel's exports. */
export interface GridFoldKernel {
  /** Runs the fold job of the control block at this byte offset (fold-memory.ts), results written there. */
  run(block: number): void;
}

/** A compiled WebAssembly.Module: opaque here; it can be posted to a worker thread. */
export type CompiledModule = object;

/** A shared WebAssembly.Memory. */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
}

/** Bytes of a wasm page. */
const WASM_PAGE = 65536;
/** Most bytes a wasm (32-bit) memory can hold: 65536 pages. */
export const WASM_MAX_BYTES = 65536 * WASM_PAGE;

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: CompiledModule | undefined;

/** The kernel's module, compiled on first use. */
export function gridFoldModule(): CompiledModule {
  compiled ??= new wasm.Module(Buffer.from(GRID_FOLD_WASM_BASE64, 'base64'));
  return compiled;
}

/** A shared memory of at least `bytes` (≤ {@link WASM_MAX_BYTES}), whole pages, that never grows. */
export function sharedMemory(bytes: number): SharedMemory {
  const pages = Math.ceil(bytes / WASM_PAGE);
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

/** An instance of the kernel `module` working on `memory`. */
export function instantiateGridFold(module: CompiledModule, memory: SharedMemory): GridFoldKernel {
  return new wasm.Instance(module, { env: { memory } }).exports as GridFoldKernel;
}
