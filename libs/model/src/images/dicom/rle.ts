/**
 * RLE Lossless (transfer syntax 1.2.840.10008.1.2.5) decoding, PS3.5 Annex G: each frame is one
 * fragment made of a 64-byte header (G.5: segment count, then 15 segment offsets, little endian)
 * and one PackBits segment per byte of each sample, most significant byte first (G.2); the decoded
 * frame is returned as native pixel data, little endian, sample-interleaved (planar configuration 0).
 */

/** PackBits (G.3.1): n in 0..127 copies n+1 bytes, n in -127..-1 repeats the next byte 1-n times, -128 is a no-op. */
function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array, what: string): void {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = (src[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = n + 1;
      if (i + count > end) throw new Error(`${what} literal run passes the end of its segment`);
      out.set(src.subarray(i, i + Math.min(count, out.length - o)), o);
      i += count;
      o += count;
    } else if (n !== -128) {
      if (i >= end) throw new Error(`${what} replicate run has no byte to repeat`);
      out.fill(src[i++]!, o, Math.min(o + 1 - n, out.length));
      o += 1 - n;
    }
  }
  if (o < out.length) throw new Error(`${what} decodes to ${o} bytes, expected ${out.length}`);
}

/**
 * Decodes one RLE fragment to `pixels` values of `samples` samples of `bytesPerSample` bytes each.
 * @throws Error naming the segment when the fragment is malformed.
 * @example decodeRle(fragment, 32 * 24, 3, 1) // 2304 bytes, RGBRGB…
 */
export function decodeRle(
  fragment: Uint8Array,
  pixels: number,
  samples: number,
  bytesPerSample: number,
): Uint8Array {
  if (fragment.length < 64)
    throw new Error(`RLE fragment is ${fragment.length} bytes, shorter than its 64-byte header`);
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samples * bytesPerSample;
  if (segments !== expected) {
    throw new Error(
      `RLE header has ${segments} segments, expected ${expected} (${samples} samples × ${bytesPerSample} bytes)`,
    );
  }
  // A PackBits byte pair yields at most 128 bytes, so a fragment shorter than pixels·segments/64
  // cannot hold the frame: refuse before allocating what its header claims.
  if ((fragment.length - 64) * 64 < pixels * segments) {
    throw new Error(
      `RLE fragment of ${fragment.length} bytes cannot hold ${pixels} pixels × ${segments} segments`,
    );
  }
  const out = new Uint8Array(pixels * expected);
  const segment = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : fragment.length;
    if (start < 64 || end > fragment.length || end < start) {
      throw new Error(
        `RLE segment ${s + 1} spans bytes ${start}..${end} of a ${fragment.length}-byte fragment`,
      );
    }
    unpackSegment(fragment, start, end, segment, `RLE segment ${s + 1}`);
    // Segment order is sample by sample, most significant byte first; native order is little endian.
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    for (let p = 0, o = sample * bytesPerSample + byte; p < pixels; p++, o += expected) out[o] = segment[p]!;
  }
  return out;
}
