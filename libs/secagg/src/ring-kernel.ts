import { RING_WASM_BASE64 } from './ring.wasm';
import { ringWords, type RingBits } from './ring';

interface RingExports {
  readonly memory: { grow(pages: number): number; readonly buffer: ArrayBuffer };
  add(acc: number, src: number, count: number): void;
  sub(acc: number, src: number, count: number): void;
  add32(acc: number, src: number, count: number): void;
  sub32(acc: number, src: number, count: number): void;
}

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/**
 * Addition and subtraction mod 2⁶⁴ or 2³² (ring.ts) by a wasm SIMD kernel (wasm/ring.wat: i64x2 or
 * i32x4 add and sub, which wrap mod 2⁶⁴ / 2³² by the WebAssembly spec), over an accumulator and a
 * staging area in the kernel's own memory: `acc` (`ringWords(bits)` words per element) and `stage`
 * (as many per element of one chunk). Masks are written into `stage` and added to or subtracted from `acc` in place — the
 * JavaScript loop with carries it replaces was 4–8× slower (measured 80–95 ms per 20 M elements).
 *
 * @example
 * const k = new RingKernel(1000, 256); // Z/2⁶⁴; new RingKernel(1000, 256, 32) for Z/2³²
 * maskRange(seed, 0, k.stage.subarray(0, 2 * 256));
 * k.add(0, 256); // acc[0..256) += the mask
 */
export class RingKernel {
  /** The accumulator: element i in words [2i, 2i + 1]. */
  readonly acc: Uint32Array;
  /** The staging area of one chunk. */
  readonly stage: Uint32Array;
  private readonly kernel: RingExports;
  private readonly stageAt: number;
  private readonly bytes: number;
  private readonly addKernel: (acc: number, src: number, count: number) => void;
  private readonly subKernel: (acc: number, src: number, count: number) => void;

  constructor(
    readonly elements: number,
    readonly chunk: number,
    readonly bits: RingBits = 64,
  ) {
    compiled ??= new wasm.Module(Buffer.from(RING_WASM_BASE64, 'base64'));
    this.kernel = new wasm.Instance(compiled).exports as RingExports;
    const words = ringWords(bits);
    this.bytes = 4 * words;
    this.addKernel = bits === 32 ? this.kernel.add32 : this.kernel.add;
    this.subKernel = bits === 32 ? this.kernel.sub32 : this.kernel.sub;
    this.stageAt = elements * this.bytes;
    const bytes = this.stageAt + chunk * this.bytes;
    const pages = Math.ceil(bytes / 65536);
    if (pages > 65536) throw new RangeError(`${elements} elements do not fit a 4 GiB wasm memory`);
    if (pages > 1) this.kernel.memory.grow(pages - 1);
    const buffer = this.kernel.memory.buffer;
    this.acc = new Uint32Array(buffer, 0, words * elements);
    this.stage = new Uint32Array(buffer, this.stageAt, words * chunk);
  }

  /** acc[at + i] += stage[i] for i < count. */
  add(at: number, count: number): void {
    this.check(at, count);
    this.addKernel(at * this.bytes, this.stageAt, count);
  }

  /** acc[at + i] −= stage[i] for i < count. */
  sub(at: number, count: number): void {
    this.check(at, count);
    this.subKernel(at * this.bytes, this.stageAt, count);
  }

  private check(at: number, count: number): void {
    if (!(
      Number.isInteger(at) &&
      Number.isInteger(count) &&
      at >= 0 &&
      count >= 0 &&
      count <= this.chunk &&
      at + count <= this.elements
    )) {
      throw new RangeError(
        `elements ${at}..${at + count} (chunk ≤ ${this.chunk}) are outside the ring's ${this.elements}`,
      );
    }
  }
}
