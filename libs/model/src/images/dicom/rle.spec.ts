import { describe, expect, it } from '@jest/globals';
import { decodeRle } from './rle';

/** A fragment: the 64-byte header of PS3.5 G.5 (segment count, offsets) and the segments. */
function fragment(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return new Uint8Array([...header, ...segments.flat()]);
}

describe('decodeRle', () => {
  it('unpacks the PackBits example of Apple Technical Note TN1023', () => {
    // Packed and unpacked bytes as printed in TN1023 ("Understanding PackBits").
    const packed = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];
    const unpacked = [
      0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa,
      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    ];
    expect(Array.from(decodeRle(fragment([packed]), 24, 1, 1))).toEqual(unpacked);
  });

  it('puts the most significant byte segment first and returns little-endian samples (PS3.5 G.2)', () => {
    // Two 16-bit pixels 0x0102 and 0x0304: segment 1 holds the high bytes, segment 2 the low bytes.
    const out = decodeRle(
      fragment([
        [0x01, 0x01, 0x03],
        [0x01, 0x02, 0x04],
      ]),
      2,
      1,
      2,
    );
    expect(Array.from(out)).toEqual([0x02, 0x01, 0x04, 0x03]);
  });

  it('refuses wrong segment counts, short segments and headers claiming more than a fragment can hold', () => {
    expect(() => decodeRle(fragment([[0x00, 0x05]]), 1, 3, 1)).toThrow(
      'RLE header has 1 segments, expected 3',
    );
    expect(() => decodeRle(fragment([[0x00, 0x05]]), 2, 1, 1)).toThrow(
      'RLE segment 1 decodes to 1 bytes, expected 2',
    );
    expect(() => decodeRle(fragment([[0x81, 0x05]]), 8192 * 8192, 1, 1)).toThrow(
      'cannot hold 67108864 pixels',
    );
    expect(() => decodeRle(new Uint8Array(10), 1, 1, 1)).toThrow('shorter than its 64-byte header');
  });
});
