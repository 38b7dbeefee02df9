import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { GRID_LOG2, GridSum, gridScale, RANGE_LOG2 } from './grid-sum';

const C = 1.5 * 2 ** 52;
/** Reference: step 3 of grid-sum.ts evaluated by the JS engine's own IEEE double arithmetic. */
const roundTerm = (x: number, n: number, scale: number): number =>
  x * ((n * 2 ** -GRID_LOG2) / scale) + C - C;

/** Park–Miller minimal standard generator. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

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

describe('GridSum (wasm kernel)', () => {
  it('folds (x·w + C) − C per term, as the JS reference computes it, across chunk edges and tails', () => {
    // 65536-float chunks: 150,003 values span three chunks and end in a 3-value tail.
    const size = 150_003;
    const u = prng(11);
    const values = Float32Array.from({ length: size }, () => (u() - 0.5) * 10 ** (Math.floor(u() * 8) - 6));
    // Exact halves of the grid (ties) among them: 2⁻²⁷ at scale 1 is half of q = 2⁻²⁶.
    for (let i = 0; i < size; i += 997) values[i] = (i % 2 ? 1 : -1) * (2 * (i % 5) + 1) * 2 ** -27;
    const sum = new GridSum([size], [1]);
    for (const n of [120, 7, 33])
      expect(sum.fold(0, values, n, 1)).toMatchObject({ folded: size, bad: undefined });
    const out = new Float32Array(size);
    sum.read(0, 160, out);
    for (let i = 0; i < size; i++) {
      const x = values[i] as number;
      const acc = roundTerm(x, 120, 1) + roundTerm(x, 7, 1) + roundTerm(x, 33, 1);
      expect(out[i]).toBe(Math.fround((acc * 2 ** GRID_LOG2) / 160));
    }
  });

  it('reports max |x| and stops after the chunk holding the first value beyond the cap; undo is exact', () => {
    const size = 70_001;
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 1e-3);
    const sum = new GridSum([size], [1]);
    expect(sum.fold(0, values, 5, 1)).toEqual({ folded: size, bad: undefined, maxAbs: expect.any(Number) });
    const bad = Float32Array.from(values);
    bad[66_000] = NaN;
    bad[69_000] = 1e30;
    const outcome = sum.fold(0, bad, 5, 1);
    expect(outcome).toMatchObject({ folded: size, bad: 66_000 }); // the second chunk is the last one
    sum.fold(0, bad, 5, -1, outcome.folded);
    sum.fold(0, values, 5, -1);
    const out = new Float32Array(size);
    sum.read(0, 1, out);
    expect(out.every((v) => Object.is(v, 0))).toBe(true); // +0, never −0 (step 5)
    bad[3] = -(2 ** 30);
    expect(sum.fold(0, bad, 1, 1)).toMatchObject({ folded: 65_536, bad: 3 });
  });

  it('has the per-value cap R/n rounded down to float32 and the range M·2²⁵', () => {
    const sum = new GridSum([1, 1], [1, 8]);
    expect(sum.range(1)).toBe(8 * 2 ** RANGE_LOG2);
    expect(sum.cap(0, 1)).toBe(2 ** 25);
    const cap3 = sum.cap(0, 3);
    expect(cap3).toBeLessThanOrEqual(2 ** 25 / 3);
    expect(Math.fround(cap3)).toBe(cap3);
    expect(new Float32Array([cap3 * (1 + 2 ** -23)])[0]).toBeGreaterThan(2 ** 25 / 3);
  });
});

describe('grid-fold.wasm.ts', () => {
  it('holds the bytes wasm/grid-fold.wat compiles to (npm run build:wasm -w @fedaln/aggregation)', () => {
    expect(() =>
      execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-wasm.cjs'), '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
