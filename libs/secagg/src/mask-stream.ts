import { createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { RING_BYTES } from './ring';

/**
 * A mask: a 32-byte seed expanded into ring elements by AES-256 in counter mode (NIST SP 800-38A),
 * the keystream of the seed with a zero IV read as little-endian B-byte words (B = 8 in Z/2⁶⁴, 4 in
 * Z/2³²) — the PRG of Bonawitz et al. 2017 (§4, "PRG"). Element i is keystream bytes [Bi, Bi + B), so
 * any range [from, from + count) is produced alone by starting the counter at block ⌊B·from/16⌋:
 * memory O(count), never the whole vector. The element count is out.byteLength / B. The seed must never mask two vectors (a fresh one per round: see key-agreement.ts).
 *
 * @example
 * const m = new Uint32Array(2 * 1000);
 * maskRange(seed, 5000, m); // elements 5000..5999 of seed's mask, equal to those of the whole vector
 * maskRange(seed, 5000, new Uint32Array(1000), 4); // the same in Z/2³²
 */
// Reading keystream bytes as Uint32 words assumes a little-endian host (every platform Node ships for).
if (endianness() !== 'LE') throw new Error('@fedaln/secagg needs a little-endian host');

/** Zero bytes the keystream is read through (AES-CTR of zeros is the keystream); grown when needed, never written. */
let zeros = Buffer.alloc(0);

export function maskRange(
  seed: Uint8Array,
  from: number,
  out: Uint32Array,
  elementBytes: 4 | 8 = RING_BYTES,
): void {
  const startByte = from * elementBytes;
  const block = Math.floor(startByte / 16);
  const skip = startByte - block * 16;
  const iv = Buffer.alloc(16);
  // The 128-bit big-endian counter of SP 800-38A; block < 2⁵³, so its high 8 bytes stay zero.
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher = createCipheriv('aes-256-ctr', seed, iv);
  const length = skip + out.byteLength;
  if (zeros.length < length) zeros = Buffer.alloc(length);
  cipher
    .update(zeros.subarray(0, length))
    .copy(Buffer.from(out.buffer, out.byteOffset, out.byteLength), 0, skip);
}
