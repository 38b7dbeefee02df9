/**
 * A contact sheet for a person to look at: one row of cases per site, each image framed by a
 * coloured border that shows its label (red = ALN metastasis, green = none) — no fonts needed.
 */

export interface SheetImage {
  pixels: Uint8Array;
  size: number;
  label: 0 | 1;
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  data: Uint8Array;
}

const BORDER = 3;
const GAP = 2;
const COLOURS: Record<0 | 1, [number, number, number]> = { 0: [40, 170, 60], 1: [215, 40, 40] };
const BACKGROUND: [number, number, number] = [24, 24, 28];

/**
 * Lays out `rows` (one per site, possibly of different lengths) on a grid of framed tiles.
 * @example contactSheet([[{ pixels: new Uint8Array(64 * 64), size: 64, label: 1 }]]).width // 70
 */
export function contactSheet(rows: readonly (readonly SheetImage[])[]): RgbImage {
  const tile = Math.max(0, ...rows.flat().map((im) => im.size)) + 2 * BORDER;
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const width = Math.max(1, cols * tile + (cols - 1) * GAP);
  const height = Math.max(1, rows.length * tile + (rows.length - 1) * GAP);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(BACKGROUND, p * 3);
  rows.forEach((row, r) =>
    row.forEach((im, c) => {
      const x0 = c * (tile + GAP);
      const y0 = r * (tile + GAP);
      const colour = COLOURS[im.label];
      const span = im.size + 2 * BORDER;
      for (let y = 0; y < span; y++)
        for (let x = 0; x < span; x++) {
          const inside = x >= BORDER && y >= BORDER && x < BORDER + im.size && y < BORDER + im.size;
          const o = ((y0 + y) * width + x0 + x) * 3;
          if (!inside) data.set(colour, o);
          else data.fill(im.pixels[(y - BORDER) * im.size + (x - BORDER)]!, o, o + 3);
        }
    }),
  );
  return { width, height, data };
}
