import { describe, expect, it } from '@jest/globals';
import { contactSheet } from './contact-sheet';

describe('contactSheet', () => {
  it('frames each image with a label colour and keeps its pixels (hand-laid 2-site grid)', () => {
    const img = (v: number, label: 0 | 1) => ({ pixels: new Uint8Array(4 * 4).fill(v), size: 4, label });
    // Tiles of 4 + 2·3 border = 10 px, 2 px gaps: 2 columns → 22 px wide, 2 rows → 22 px high.
    const sheet = contactSheet([[img(100, 1), img(50, 0)], [img(200, 0)]]);
    expect([sheet.width, sheet.height]).toEqual([22, 22]);
    const at = (x: number, y: number) =>
      Array.from(sheet.data.subarray((y * 22 + x) * 3, (y * 22 + x) * 3 + 3));
    expect(at(0, 0)).toEqual([215, 40, 40]); // ALN+ border: red
    expect(at(3, 3)).toEqual([100, 100, 100]); // first image's pixel
    expect(at(12, 0)).toEqual([40, 170, 60]); // ALN− border: green
    expect(at(15, 3)).toEqual([50, 50, 50]);
    expect(at(3, 15)).toEqual([200, 200, 200]); // second site, first image
    expect(at(10, 0)).toEqual([24, 24, 28]); // gap
    expect(at(15, 15)).toEqual([24, 24, 28]); // second site has one case: background
  });
});
