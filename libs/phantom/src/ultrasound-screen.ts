/**
 * A phantom B-mode image as an ultrasound machine stores it: the image inside a larger screen with a
 * grayscale bar on the left and a strip of burned-in text above (block glyphs of the case id,
 * standing in for patient name and calipers), so the Sequence of Ultrasound Regions is what keeps
 * them away from the model. Pure.
 */

export interface UltrasoundScreen {
  width: number;
  height: number;
  /** 8-bit gray, row-major. */
  data: Uint8Array;
  /** Inclusive bounds of the B-mode image on the screen. */
  region: { x0: number; y0: number; x1: number; y1: number };
}

/** Width of the grayscale bar and height of the text strip for an image of side `size`. */
export function screenMargins(size: number): { bar: number; strip: number } {
  return { bar: Math.max(8, Math.round(size / 8)), strip: Math.max(7, Math.round(size / 10)) };
}

/** A 3×5 block glyph per character: 15 bits from the character code, so every id looks different. */
function glyph(ch: string): number {
  const c = ch.charCodeAt(0);
  return ((c * 2654435761) >>> 0) & 0x7fff;
}

/**
 * Places a size×size image on a screen with a grayscale bar and burned-in text.
 * @example ultrasoundScreen(pixels, 64, 'site1-0001').region // { x0: 8, y0: 7, x1: 71, y1: 70 }
 */
export function ultrasoundScreen(pixels: Uint8Array, size: number, text: string): UltrasoundScreen {
  const { bar, strip } = screenMargins(size);
  const width = bar + size;
  const height = strip + size;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const level = Math.round((255 * (height - 1 - y)) / (height - 1));
    for (let x = 1; x < bar - 1; x++) data[y * width + x] = level;
  }
  const scale = Math.max(1, Math.floor((strip - 2) / 5));
  [...text].forEach((ch, i) => {
    const bits = glyph(ch);
    const left = bar + 1 + i * 4 * scale;
    for (let gy = 0; gy < 5; gy++) {
      for (let gx = 0; gx < 3; gx++) {
        if (!((bits >> (gy * 3 + gx)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = left + gx * scale + dx;
            const y = 1 + gy * scale + dy;
            if (x < width && y < strip) data[y * width + x] = 255;
          }
        }
      }
    }
  });
  for (let y = 0; y < size; y++)
    data.set(pixels.subarray(y * size, (y + 1) * size), (strip + y) * width + bar);
  return { width, height, data, region: { x0: bar, y0: strip, x1: bar + size - 1, y1: strip + size - 1 } };
}
