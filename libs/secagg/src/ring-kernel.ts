import { RING_WASM_BASE64 } from './ring.wasm';
import { ringWords, type RingBits } from './ring';

interface RingExports {
  add(acc: number, src: number, count: number): void;
  sub(acc: number, src: number, count: number): void;
  add32(acc: number, src: number, count: number): void;
  sub32(acc: number, src: number, count: number): void;
}

/** A shared WebAssembly.Memory (it can be posted to a worker thread). */
export interface RingMemory {
  readonly buffer: SharedArrayBuffer;
}

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => RingMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/** The kernel's module, compiled once per thread. */
function ringModule(): object {
  compiled ??= new wasm.Module(Buffer.from(RING_WASM_BASE64, 'base64'));
  return compiled;
}

/**
 * Where a kernel works: a new memory with `stages` staging areas (the default, one), or staging area
 * `stage` of a memory another kernel made — a worker thread's view of the same accumulator.
 */
export type RingPlacement =
  | { readonly stages: number }
  | { readonly memory: RingMemory; readonly stage: number; readonly stages: number };

/**
 * Addition and subtraction mod 2⁶⁴ or 2³² (ring.ts) by a wasm SIMD kernel (wasm/ring.wat: i64x2 or
 * i32x4 add and sub, which wrap mod 2⁶⁴ / 2³² by the WebAssembly spec), over an accumulator and
 * staging areas in one shared wasm memory: `acc` (`ringWords(bits)` words per element), then one
 * `stage` per thread that works on it (as many words per element of one chunk). Masks are written
 * into a stage and added to or subtracted from `acc` in place — the JavaScript loop with carries it
 * replaces was 4–8× slower (measured 80–95 ms per 20 M elements). Threads sharing the memory must
 * work on disjoint ranges of `acc` (mask-removal.ts claims whole chunks).
 *
 * @example
 * const k = new RingKernel(1000, 256); // Z/2⁶⁴; new RingKernel(1000, 256, 32) for Z/2³²
 * maskRange(seed, 0, k.stage.subarray(0, 2 * 256));
 * k.add(0, 256); // acc[0..256) += the mask
 */
export class RingKernel {
  /** The accumulator: element i in words [2i, 2i + 1] (word i in Z/2³²). */
  readonly acc: Uint32Array;
  /** This kernel's staging area of one chunk. */
  readonly stage: Uint32Array;
  /** The memory, to hand to another thread's kernel (with another `stage`). */
  readonly memory: RingMemory;
  /** Staging areas in the memory. */
  readonly stages: number;
  private readonly stageAt: number;
  private readonly bytes: number;
  private readonly addKernel: (acc: number, src: number, count: number) => void;
  private readonly subKernel: (acc: number, src: number, count: number) => void;

  constructor(
    readonly elements: number,
    readonly chunk: number,
    readonly bits: RingBits = 64,
    placement: RingPlacement = { stages: 1 },
  ) {
    const words = ringWords(bits);
    this.bytes = 4 * words;
    this.stages = placement.stages;
    const stage = 'memory' in placement ? placement.stage : 0;
    if (!(Number.isInteger(this.stages) && this.stages >= 1 && stage >= 0 && stage < this.stages)) {
      throw new RangeError(`staging area ${stage} of ${this.stages} does not exist`);
    }
    const bytes = (elements + this.stages * chunk) * this.bytes;
    const pages = Math.ceil(bytes / 65536);
    if (pages > 65536) throw new RangeError(`${elements} elements do not fit a 4 GiB wasm memory`);
    this.memory =
      'memory' in placement
        ? placement.memory
        : new wasm.Memory({ initial: Math.max(1, pages), maximum: Math.max(1, pages), shared: true });
    if (this.memory.buffer.byteLength < bytes) {
      throw new RangeError(`a memory of ${this.memory.buffer.byteLength} bytes cannot hold ${bytes}`);
    }
    const kernel = new wasm.Instance(ringModule(), { env: { memory: this.memory } }).exports as RingExports;
    this.addKernel = bits === 32 ? kernel.add32 : kernel.add;
    this.subKernel = bits === 32 ? kernel.sub32 : kernel.sub;
    this.stageAt = (elements + stage * chunk) * this.bytes;
    const buffer = this.memory.buffer;
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
