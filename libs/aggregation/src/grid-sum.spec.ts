import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { GRID_LOG2, GridSum, gridScale, PAIR_FLOATS, RANGE_LOG2, STAGE_FLOATS } from './grid-sum';

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
  // Over two chunks, the last ending in every path of the kernel.
  const size = 2 * STAGE_FLOATS + 4007; // 4007 = 8·500 + 4 + 3: blocks of 8, one of 4, 3 single values

  it('folds nearest(x·w) per term, as the JS reference computes it, across chunks and tails', () => {
    const u = prng(11);
    const values = Float32Array.from({ length: size }, () => (u() - 0.5) * 10 ** (Math.floor(u() * 8) - 6));
    // Exact halves of the grid (ties) among them: 2⁻²⁷ at scale 1 is half of q = 2⁻²⁶.
    for (let i = 0; i < size; i += 997) values[i] = (i % 2 ? 1 : -1) * (2 * (i % 5) + 1) * 2 ** -27;
    const sum = new GridSum([size], [1]);
    for (const n of [120, 7, 33]) {
      expect(sum.fold(0, values, n, 1)).toMatchObject({ folded: size, bad: undefined });
    }
    const out = new Float32Array(size);
    sum.read(0, 160, out);
    for (let i = 0; i < size; i++) {
      const x = values[i] as number;
      const acc = roundTerm(x, 120, 1) + roundTerm(x, 7, 1) + roundTerm(x, 33, 1);
      if (out[i] !== Math.fround((acc * 2 ** GRID_LOG2) / 160)) {
        expect([i, out[i]]).toEqual([i, Math.fround((acc * 2 ** GRID_LOG2) / 160)]);
      }
    }
  });

  it('reports max |x| and stops after the chunk holding the first bad value; undo is exact', () => {
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 1e-3);
    const sum = new GridSum([size], [1]);
    const good = sum.fold(0, values, 5, 1);
    expect(good.folded).toBe(size);
    expect(good.bad).toBeUndefined();
    expect(good.maxAbs).toBe(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    const bad = Float32Array.from(values);
    bad[STAGE_FLOATS + 10] = NaN; // in chunk 1
    bad[STAGE_FLOATS + 20] = 1e30;
    const outcome = sum.fold(0, bad, 5, 1);
    expect(outcome).toMatchObject({ folded: 2 * STAGE_FLOATS, bad: STAGE_FLOATS + 10 });
    sum.fold(0, bad, 5, -1, outcome.folded);
    sum.fold(0, values, 5, -1);
    const out = new Float32Array(size);
    sum.read(0, 1, out);
    expect(out.every((v) => Object.is(v, 0))).toBe(true); // +0, never −0 (step 5)
    bad[3] = -(2 ** 30);
    expect(sum.fold(0, bad, 1, 1)).toMatchObject({ folded: STAGE_FLOATS, bad: 3 });
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

describe('GridSum.foldPair (the fold2 kernel)', () => {
  // Over three pair chunks, the last ending in the kernel's 4-wide blocks and a 3-value tail.
  const size = 2 * PAIR_FLOATS + 4003;
  const u = prng(23);
  const mixed = (): Float32Array =>
    Float32Array.from({ length: size }, () => (u() - 0.5) * 10 ** (Math.floor(u() * 8) - 6));
  const a = mixed();
  const b = mixed();
  // Exact halves of the grid (ties, 2⁻²⁷ at scale 1 with n = 1 → x·w = k + ½) in both.
  for (let i = 0; i < size; i += 991) a[i] = (i % 2 ? 1 : -1) * (2 * (i % 7) + 1) * 2 ** -27;
  for (let i = 5; i < size; i += 983) b[i] = (i % 2 ? -1 : 1) * (2 * (i % 3) + 1) * 2 ** -27;
  const maxAbsOf = (v: Float32Array): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

  it('leaves every accumulator element bit for bit as fold(a) then fold(b) do', () => {
    for (const [na, nb] of [
      [1, 1],
      [120, 7],
    ] as const) {
      const one = new GridSum([size], [2]);
      one.fold(0, a, na, 1);
      one.fold(0, b, nb, 1);
      const pair = new GridSum([size], [2]);
      const [fa, fb] = pair.foldPair(0, a, na, b, nb);
      expect([fa, fb]).toEqual([
        { folded: size, bad: undefined, maxAbs: maxAbsOf(a) },
        { folded: size, bad: undefined, maxAbs: maxAbsOf(b) },
      ]);
      expect(Buffer.from(pair.sums(0).buffer).equals(Buffer.from(one.sums(0).buffer))).toBe(true);
    }
  });

  it.each([
    ['the first', 0],
    ['the second', 1],
  ])('stops %s at the chunk of its first bad value, folds the other on alone; undo is exact', (_l, which) => {
    const bad = Float32Array.from(which === 0 ? a : b);
    bad[PAIR_FLOATS + 17] = NaN; // in pair chunk 1
    bad[PAIR_FLOATS + 40] = Infinity;
    const good = which === 0 ? b : a;
    const sum = new GridSum([size], [1]);
    const outcomes = which === 0 ? sum.foldPair(0, bad, 9, good, 4) : sum.foldPair(0, good, 4, bad, 9);
    expect(outcomes[which]).toMatchObject({ folded: 2 * PAIR_FLOATS, bad: PAIR_FLOATS + 17 });
    expect(outcomes[1 - which]).toEqual({ folded: size, bad: undefined, maxAbs: maxAbsOf(good) });
    sum.fold(0, bad, 9, -1, 2 * PAIR_FLOATS);
    const alone = new GridSum([size], [1]);
    alone.fold(0, good, 4, 1);
    expect(Buffer.from(sum.sums(0).buffer).equals(Buffer.from(alone.sums(0).buffer))).toBe(true);
  });

  it('reports both when both meet a bad value, each at its own index', () => {
    const x = Float32Array.from(a);
    const y = Float32Array.from(b);
    x[size - 2] = -Infinity; // in the scalar tail
    y[3] = 2 ** 26; // beyond the cap 2²⁵ of n = 1 in the first block
    const sum = new GridSum([size], [1]);
    expect(sum.foldPair(0, x, 1, y, 1).map((o) => [o.folded, o.bad])).toEqual([
      [size, size - 2],
      [PAIR_FLOATS, 3],
    ]);
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
