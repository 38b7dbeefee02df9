import { describe, expect, it } from '@jest/globals';
import { gridCap, gridRange, gridScale, gridStep, termWeight } from './grid';

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
