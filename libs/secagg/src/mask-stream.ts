import { createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { RING_BYTES } from './ring';

/**
 * The PRG that expands a mask's seed, a version of the session (SessionParams `prg`): AES in counter
 * mode (NIST SP 800-38A) keyed with the 32-byte seed (AES-256, the first version and the default) or
 * with its first 16 bytes (AES-128: the seed is uniform, from a CSPRNG or the X25519 key derivation, so
 * any 16 of its bytes are a uniform 128-bit key). AES in counter mode is the PRG of Bonawitz et al.
 * 2017's implementation (their evaluation); AES-128 has 128 bits of security strength (NIST SP 800-57
 * Part 1 Rev. 5, Table 2), the level X25519 already gives the pairwise seeds (RFC 7748 §1: "~128-bit
 * security level"). It has 10 rounds to AES-256's 14: cheaper to expand, which the unmasking does most.
 */
export type MaskPrg = 'aes-256-ctr' | 'aes-128-ctr';
export const MASK_PRGS: readonly MaskPrg[] = ['aes-256-ctr', 'aes-128-ctr'];
/** The PRG of sessions that do not name one (every session before `prg` existed). */
export const DEFAULT_MASK_PRG: MaskPrg = 'aes-256-ctr';

/**
 * A mask: a 32-byte seed expanded into ring elements by the session's PRG ({@link MaskPrg}), the
 * keystream of the seed with a zero IV read as little-endian B-byte words (B = 8 in Z/2⁶⁴, 4 in
 * Z/2³²) — the PRG of Bonawitz et al. 2017 (§4, "PRG"). Element i is keystream bytes [Bi, Bi + B), so
 * any range [from, from + count) is produced alone by starting the counter at block ⌊B·from/16⌋:
 * memory O(count), never the whole vector. The element count is out.byteLength / B. The seed must never mask two vectors (a fresh one per round: see key-agreement.ts).
 *
 * @example
 * const m = new Uint32Array(2 * 1000);
 * maskRange(seed, 5000, m); // elements 5000..5999 of seed's mask, equal to those of the whole vector
 * maskRange(seed, 5000, new Uint32Array(1000), 4); // the same in Z/2³²
 * maskRange(seed, 5000, new Uint32Array(1000), 4, 'aes-128-ctr'); // a session with prg aes-128-ctr
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
  prg: MaskPrg = DEFAULT_MASK_PRG,
): void {
  const startByte = from * elementBytes;
  const block = Math.floor(startByte / 16);
  const skip = startByte - block * 16;
  const iv = Buffer.alloc(16);
  // The 128-bit big-endian counter of SP 800-38A; block < 2⁵³, so its high 8 bytes stay zero.
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher =
    prg === 'aes-128-ctr'
      ? createCipheriv('aes-128-ctr', seed.subarray(0, 16), iv)
      : createCipheriv('aes-256-ctr', seed, iv);
  const target = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  if (zeros.length < PIECE_BYTES) zeros = Buffer.alloc(PIECE_BYTES);
  // The keystream in pieces of one stream: `update` returns a new buffer each call, and one past
  // glibc's mmap threshold (128 KiB by default) is mapped and unmapped every time — measured 5–6×
  // slower for a 256 KiB chunk than pieces below it. Skipped bytes are read and dropped.
  let at = -skip;
  while (at < target.length) {
    const piece = Math.min(PIECE_BYTES, target.length - at);
    const ks = cipher.update(zeros.subarray(0, piece));
    if (at < 0) ks.copy(target, 0, -at);
    else ks.copy(target, at);
    at += piece;
  }
}

/** Bytes of keystream asked of the cipher at a time: below glibc's default mmap threshold (128 KiB). */
const PIECE_BYTES = 1 << 16;

/**
 * Size of the block {@link keepFreedKeystreamMemory} frees: 16 MiB, so glibc's trim threshold becomes
 * 32 MiB. 16 and 32 MiB measured alike; glibc adjusts for blocks up to 32 MiB (its DEFAULT_MMAP_THRESHOLD_MAX).
 */
const MALLOC_THRESHOLD_BLOCK = 16 << 20;
let freedMemoryKept = false;

/**
 * Lets this process keep the memory its keystream pieces are freed into, instead of faulting it in
 * again for the next pieces. `update` hands each piece back in a new buffer; V8 frees them at its next
 * GC, tens of MB at a time, and glibc returns a freed heap top larger than its trim threshold (128 KiB
 * by default) to the system, so the next pieces fault fresh zeroed pages in — measured 23–43 % of an
 * unmasking's time (README, "page faults"). glibc's dynamic thresholds (mallopt(3), M_MMAP_THRESHOLD:
 * freeing an mmapped block of at most 32 MiB raises the mmap threshold to its size and the trim
 * threshold to twice that, for every arena of the process) are raised here by allocating one such
 * block and dropping it: V8 frees it at its next GC. Called by the coordinator's `MaskedSum` when it is
 * made, so the block is freed during the adds, before the unmasking (a site's masking measured no
 * gain, and a site's training has its own allocations, so sites are left as they are). The cost: each
 * malloc arena of the process may keep up to 32 MiB of freed memory. Once per process; it changes no
 * keystream byte, and does nothing on C libraries without dynamic thresholds (musl).
 */
export function keepFreedKeystreamMemory(): void {
  if (freedMemoryKept) return;
  freedMemoryKept = true;
  // Past the 128 KiB mmap threshold, so malloc maps it; left unreferenced for the GC to free.
  Buffer.allocUnsafeSlow(MALLOC_THRESHOLD_BLOCK);
}
