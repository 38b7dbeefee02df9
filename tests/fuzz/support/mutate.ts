import { splitmix32 } from '@fedaln/site-data';

/**
 * Seeded byte-level mutations in the style of libFuzzer's `MutationDispatcher` (bit flips, interesting
 * values, inserts, erases, copies, splices with another corpus entry, dictionary tokens) plus two
 * that aim at this project's formats: a u32 little-endian length field (a blob's header length)
 * rewritten to an edge value, and a decimal number in text (a CSV cell, a JSON field) replaced by an
 * edge number. Same seed, same corpus: same sequence of inputs.
 */
export class Mutator {
  private readonly next: () => number;

  constructor(
    seed: number,
    private readonly dictionary: readonly Uint8Array[],
    private readonly maxLength: number,
  ) {
    this.next = splitmix32(seed);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** 1 to `stack` mutations of `input` (spliced with `other` when one is drawn), cut to `maxLength`. */
  mutate(input: Uint8Array, other: Uint8Array, stack = 4): Uint8Array {
    let out: Uint8Array = input;
    const n = 1 + this.int(stack);
    for (let k = 0; k < n; k++) out = this.once(out, other);
    return out.length > this.maxLength ? out.subarray(0, this.maxLength) : out;
  }

  private once(b: Uint8Array, other: Uint8Array): Uint8Array {
    switch (this.int(10)) {
      case 0:
        return this.flipBit(b);
      case 1:
        return this.setByte(b);
      case 2:
        return this.insertBytes(b);
      case 3:
        return this.erase(b);
      case 4:
        return this.copyPart(b);
      case 5:
        return this.splice(b, other);
      case 6:
        return this.insertToken(b);
      case 7:
        return this.editLengthField(b);
      case 8:
        return this.editNumber(b);
      default:
        return this.setByte(this.flipBit(b));
    }
  }

  private flipBit(b: Uint8Array): Uint8Array {
    if (b.length === 0) return Uint8Array.of(this.int(256));
    const out = b.slice();
    const i = this.int(out.length);
    out[i] = (out[i] as number) ^ (1 << this.int(8));
    return out;
  }

  private setByte(b: Uint8Array): Uint8Array {
    if (b.length === 0) return Uint8Array.of(this.int(256));
    const out = b.slice();
    out[this.int(out.length)] = this.pick([0, 1, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x0a, 0x0d, this.int(256)]);
    return out;
  }

  private insertBytes(b: Uint8Array): Uint8Array {
    const at = this.int(b.length + 1);
    const count = 1 + this.int(this.int(4) === 0 ? 64 : 4);
    const fill = this.int(2) === 0 ? this.int(256) : -1;
    const ins = Uint8Array.from({ length: count }, () => (fill >= 0 ? fill : this.int(256)));
    return concat(b.subarray(0, at), ins, b.subarray(at));
  }

  private erase(b: Uint8Array): Uint8Array {
    if (b.length === 0) return b;
    const at = this.int(b.length);
    const count = 1 + this.int(Math.min(b.length - at, this.int(4) === 0 ? 256 : 8));
    return concat(b.subarray(0, at), b.subarray(at + count));
  }

  /** Copies a part of the input over or into another place of it (repeats a field, a row, a tensor). */
  private copyPart(b: Uint8Array): Uint8Array {
    if (b.length < 2) return b;
    const from = this.int(b.length);
    const part = b.slice(from, from + 1 + this.int(Math.min(b.length - from, 128)));
    const at = this.int(b.length + 1);
    return this.int(2) === 0
      ? concat(b.subarray(0, at), part, b.subarray(at))
      : concat(b.subarray(0, at), part, b.subarray(Math.min(b.length, at + part.length)));
  }

  private splice(b: Uint8Array, other: Uint8Array): Uint8Array {
    const cut = this.int(b.length + 1);
    const from = this.int(other.length + 1);
    return concat(b.subarray(0, cut), other.subarray(from));
  }

  private insertToken(b: Uint8Array): Uint8Array {
    if (this.dictionary.length === 0) return this.insertBytes(b);
    const token = this.pick(this.dictionary);
    const at = this.int(b.length + 1);
    return this.int(2) === 0
      ? concat(b.subarray(0, at), token, b.subarray(at))
      : concat(b.subarray(0, at), token, b.subarray(Math.min(b.length, at + token.length)));
  }

  /** Rewrites 4 bytes as a little-endian u32 edge value, or the value ± a little. */
  private editLengthField(b: Uint8Array): Uint8Array {
    if (b.length < 4) return this.insertBytes(b);
    const out = b.slice();
    // Half the time the blob preamble's header length (bytes 8..11), where it matters most.
    const at = b.length >= 12 && this.int(2) === 0 ? 8 : this.int(b.length - 3);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const old = view.getUint32(at, true);
    const value = this.pick([
      0,
      1,
      old + 1,
      old - 1,
      old + 8,
      old * 2,
      b.length - at - 4,
      b.length,
      0x7fffffff,
      0x80000000,
      0xffffffff,
      this.next(),
    ]);
    view.setUint32(at, value >>> 0, true);
    return out;
  }

  /** Replaces a run of ASCII digits (with its sign, point and exponent) by an edge number. */
  private editNumber(b: Uint8Array): Uint8Array {
    const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
    const starts: number[] = [];
    for (let i = 0; i < b.length; i++) if (isDigit(b[i]) && !isDigit(b[i - 1])) starts.push(i);
    if (starts.length === 0) return this.insertToken(b);
    const start = this.pick(starts);
    let end = start;
    while (end < b.length && (isDigit(b[end]) || b[end] === 0x2e || b[end] === 0x65 || b[end] === 0x2d))
      end++;
    const value = this.pick(EDGE_NUMBERS);
    return concat(b.subarray(0, start), new TextEncoder().encode(value), b.subarray(end));
  }
}

const EDGE_NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '2',
  '255',
  '256',
  '4096',
  '65535',
  '2147483647',
  '4294967295',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '1e308',
  '1e309',
  '-1e309',
  '5e-324',
  '0.5',
  '1.0000000000000002',
  '1e-7',
  'NaN',
  'Infinity',
];

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
