import { describe, expect, it } from '@jest/globals';
import { clippedGridScale, gridCap, gridRange, gridScale, gridStep, termWeight } from './grid';

describe('gridScale', () => {
  it.each([
    [0, 1],
    [0.3, 1],
    [1, 1],
    [1.0000001, 2],
    [3, 4],
    [4, 4],
    [1000, 1024],
    [2 ** 40, 2 ** 40],
  ])('max |g| %p → %p', (maxAbs, scale) => {
    expect(gridScale(maxAbs)).toBe(scale);
  });
});

describe('the grid of a tensor of scale M (grid.ts, "Grid" and steps 1–2)', () => {
  it('has q = M·2⁻²⁶, R = M·2²⁵, w = sign·n·2²⁶/M and the cap R/n rounded down to float32', () => {
    expect(gridStep(4)).toBe(2 ** -24);
    expect(gridRange(4)).toBe(2 ** 27);
    expect(termWeight(3, 2)).toBe(3 * 2 ** 25);
    expect(termWeight(3, 2, -1)).toBe(-3 * 2 ** 25);
    expect(gridCap(1, 1)).toBe(2 ** 25);
    const cap = gridCap(1, 3); // 2²⁵/3 is not a float32: the one below it
    expect(Math.fround(cap)).toBe(cap);
    expect(cap).toBeLessThan(2 ** 25 / 3);
    expect(Math.fround(cap * (1 + 2 ** -23))).toBeGreaterThan(2 ** 25 / 3);
  });
});

describe('clippedGridScale (grid.ts: the least power of two M with c·W ≤ 2³⁰·M·2⁻²⁶ = 2⁴·M)', () => {
  it.each([
    // [c, W, M]: worked by hand from c·W ≤ 2⁴·M.
    [10, 1500, 2 ** 10], // 15000 ≤ 16384, 8192 too small
    [1, 16, 1], // exactly 2⁴
    [1, 17, 2],
    [1000, 120, 2 ** 13], // 120000 ≤ 131072
    [0.1, 40, 2 ** -2], // 4 ≤ 4: finer than the default grid
  ])('c = %p, W = %p → %p', (c, w, m) => {
    expect(clippedGridScale(c, w)).toBe(m);
    expect(c * w).toBeLessThanOrEqual(2 ** 30 * gridStep(m));
    expect(c * w).toBeGreaterThan(2 ** 30 * gridStep(m / 2));
  });

  it('refuses a clip norm or weight it cannot bound, naming both', () => {
    expect(() => clippedGridScale(0, 10)).toThrow('clip_norm 0, weight 10');
    expect(() => clippedGridScale(1, 1.5)).toThrow('clip_norm 1, weight 1.5');
    expect(() => clippedGridScale(Infinity, 10)).toThrow('clip_norm Infinity');
  });
});
