import { afterAll, describe, expect, it } from '@jest/globals';
import { CHUNK_FLOATS } from './fold-memory';
import { GRID_LOG2, RANGE_LOG2 } from './grid';
import { GridSum } from './grid-sum';

const C = 1.5 * 2 ** 52;
/** Reference: step 3 of grid.ts evaluated by the JS engine's own IEEE double arithmetic. */
const roundTerm = (x: number, n: number, scale: number): number =>
  x * ((n * 2 ** -GRID_LOG2) / scale) + C - C;

/** Park–Miller minimal standard generator. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const THREADS = ['never', 'always'] as const;
const one = (values: Float32Array, n: number, sign: 1 | -1 = 1) => [{ tensors: [values], n, sign }];
const sumsEqual = (a: GridSum, b: GridSum, k = 0): boolean =>
  Buffer.from(a.sums(k).buffer).equals(Buffer.from(b.sums(k).buffer));

describe.each(THREADS)('GridSum (wasm kernel), thread: %s', (thread) => {
  // Over three chunks, the last ending in every path of the single kernel.
  const size = 2 * CHUNK_FLOATS + 4007; // 4007 = 8·500 + 4 + 3: blocks of 8, one of 4, 3 single values
  const sums: GridSum[] = [];
  const gridSum = (sizes: number[], scales: number[]): GridSum => {
    const sum = new GridSum(sizes, scales, { thread });
    sums.push(sum);
    return sum;
  };
  afterAll(() => sums.forEach((s) => s.close()));

  it('folds nearest(x·w) per term, as the JS reference computes it, across chunks and tails', () => {
    const u = prng(11);
    const values = Float32Array.from({ length: size }, () => (u() - 0.5) * 10 ** (Math.floor(u() * 8) - 6));
    // Exact halves of the grid (ties) among them: 2⁻²⁷ at scale 1 is half of q = 2⁻²⁶.
    for (let i = 0; i < size; i += 997) values[i] = (i % 2 ? 1 : -1) * (2 * (i % 5) + 1) * 2 ** -27;
    const sum = gridSum([size], [1]);
    for (const n of [120, 7, 33]) {
      expect(sum.foldUpdates(one(values, n))[0]?.bad).toEqual([undefined]);
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

  it('reports max |x| and the first bad value per tensor, folding bad values as 0; undo is exact', () => {
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 1e-3);
    const small = Float32Array.from([0.25, -0.5, 0.125]);
    const sum = gridSum([size, 3], [1, 1]);
    const [good] = sum.foldUpdates([{ tensors: [values, small], n: 5 }]);
    expect(good?.bad).toEqual([undefined, undefined]);
    expect([...(good?.maxAbs ?? [])]).toEqual([values.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 0.5]);
    const bad = Float32Array.from(values);
    bad[CHUNK_FLOATS + 10] = NaN; // in chunk 1
    bad[CHUNK_FLOATS + 20] = 1e30;
    bad[size - 1] = -Infinity;
    expect(sum.foldUpdates([{ tensors: [bad, small], n: 5 }])[0]?.bad).toEqual([
      CHUNK_FLOATS + 10,
      undefined,
    ]);
    sum.foldUpdates([{ tensors: [bad, small], n: 5, sign: -1 }]);
    sum.foldUpdates([{ tensors: [values, small], n: 5, sign: -1 }]);
    const out = new Float32Array(size);
    sum.read(0, 1, out);
    expect(out.every((v) => Object.is(v, 0))).toBe(true); // +0, never −0 (step 5)
    bad[3] = -(2 ** 30);
    expect(sum.foldUpdates([{ tensors: [bad, small], n: 1 }])[0]?.bad).toEqual([3, undefined]);
  });

  describe('two updates in one pass (fold2)', () => {
    // Over three chunks, the last ending in fold2's 4-wide blocks and a 3-value tail.
    const pairSize = 2 * CHUNK_FLOATS + 4003;
    const u = prng(23);
    const mixed = (): Float32Array =>
      Float32Array.from({ length: pairSize }, () => (u() - 0.5) * 10 ** (Math.floor(u() * 8) - 6));
    const a = mixed();
    const b = mixed();
    // Exact halves of the grid (ties, 2⁻²⁷ at scale 1 with n = 1 → x·w = k + ½) in both.
    for (let i = 0; i < pairSize; i += 991) a[i] = (i % 2 ? 1 : -1) * (2 * (i % 7) + 1) * 2 ** -27;
    for (let i = 5; i < pairSize; i += 983) b[i] = (i % 2 ? -1 : 1) * (2 * (i % 3) + 1) * 2 ** -27;
    const maxAbsOf = (v: Float32Array): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

    it('leaves every accumulator element bit for bit as fold(a) then fold(b) do', () => {
      for (const [na, nb] of [
        [1, 1],
        [120, 7],
      ] as const) {
        const single = gridSum([pairSize], [2]);
        single.foldUpdates(one(a, na));
        single.foldUpdates(one(b, nb));
        const pair = gridSum([pairSize], [2]);
        const folds = pair.foldUpdates([...one(a, na), ...one(b, nb)]);
        expect(folds.map((f) => [f.bad, [...f.maxAbs]])).toEqual([
          [[undefined], [maxAbsOf(a)]],
          [[undefined], [maxAbsOf(b)]],
        ]);
        expect(sumsEqual(pair, single)).toBe(true);
      }
    });

    it.each([
      ['the first', 0],
      ['the second', 1],
    ])('reports a bad value in %s and folds the other in full; undo is exact', (_l, which) => {
      const bad = Float32Array.from(which === 0 ? a : b);
      bad[CHUNK_FLOATS + 17] = NaN; // in chunk 1
      bad[CHUNK_FLOATS + 40] = Infinity;
      const good = which === 0 ? b : a;
      const sum = gridSum([pairSize], [1]);
      const pair = which === 0 ? [...one(bad, 9), ...one(good, 4)] : [...one(good, 4), ...one(bad, 9)];
      const folds = sum.foldUpdates(pair);
      expect(folds[which]?.bad).toEqual([CHUNK_FLOATS + 17]);
      expect([folds[1 - which]?.bad, [...(folds[1 - which]?.maxAbs ?? [])]]).toEqual([
        [undefined],
        [maxAbsOf(good)],
      ]);
      sum.foldUpdates(one(bad, 9, -1));
      const alone = gridSum([pairSize], [1]);
      alone.foldUpdates(one(good, 4));
      expect(sumsEqual(sum, alone)).toBe(true);
    });

    it('reports both when both meet a bad value, each at its own index', () => {
      const x = Float32Array.from(a);
      const y = Float32Array.from(b);
      x[pairSize - 2] = -Infinity; // in the scalar tail
      y[3] = 2 ** 26; // beyond the cap 2²⁵ of n = 1, in the first block
      const sum = gridSum([pairSize], [1]);
      expect(sum.foldUpdates([...one(x, 1), ...one(y, 1)]).map((f) => f.bad)).toEqual([[pairSize - 2], [3]]);
    });
  });
});

describe('GridSum', () => {
  it('has the per-value cap R/n rounded down to float32 and the range M·2²⁵', () => {
    const sum = new GridSum([1, 1], [1, 8]);
    expect(sum.range(1)).toBe(8 * 2 ** RANGE_LOG2);
    expect(sum.cap(0, 1)).toBe(2 ** 25);
    const cap3 = sum.cap(0, 3);
    expect(cap3).toBeLessThanOrEqual(2 ** 25 / 3);
    expect(Math.fround(cap3)).toBe(cap3);
    expect(new Float32Array([cap3 * (1 + 2 ** -23)])[0]).toBeGreaterThan(2 ** 25 / 3);
  });

  it('folds on the worker and here to the same bits, over many small tensors and a large one', () => {
    const u = prng(41);
    const sizes = [3, 1, 700, CHUNK_FLOATS + 9, 64, 5];
    const updates = [0, 1, 2].map((j) => ({
      tensors: sizes.map((n) => Float32Array.from({ length: n }, () => (u() - 0.5) * 10 ** -(j + 2))),
      n: 10 + 7 * j,
    }));
    const [here, worker] = (['never', 'always'] as const).map((thread) => {
      // A pickup wait far above any scheduling delay: with both cores busy the worker must not be
      // given up on, or the assertion below would measure the machine, not the code.
      const sum = new GridSum(sizes, [1, 1, 2, 1, 4, 1], { thread, pickupMs: 120_000 });
      sum.foldUpdates(updates.slice(0, 2)); // here: the first fold touches the pages
      sum.foldUpdates(updates.slice(2)); // posts 6 of its 7 jobs
      // Still in use: the worker thread (dist/fold-worker.js) ran every posted job, for this thread
      // runs a posted job only after cancelling it, and then stops using the worker.
      expect(sum['worker']['started'] != null).toBe(thread === 'always');
      sum.close();
      return sum;
    });
    sizes.forEach((_, k) => expect(sumsEqual(here as GridSum, worker as GridSum, k)).toBe(true));
    // and a worker-folded sum is not trivially equal to another: one more update changes it
    (worker as GridSum).foldUpdates([updates[0] as (typeof updates)[number]]);
    expect(sumsEqual(here as GridSum, worker as GridSum, 2)).toBe(false);
  });
});

describe('GridSum without a working worker', () => {
  it('runs the jobs the worker does not pick up itself, each once, and stops posting to it', async () => {
    const u = prng(43);
    const size = 3 * CHUNK_FLOATS + 11;
    const updates = [0, 1, 2].map(() => ({
      tensors: [Float32Array.from({ length: size }, () => u() - 0.5)],
      n: 3,
    }));
    const here = new GridSum([size], [1], { thread: 'never' });
    updates.forEach((up) => here.foldUpdates([up]));
    const orphaned = new GridSum([size], [1], { thread: 'always', pickupMs: 50 });
    orphaned.foldUpdates([updates[0] as (typeof updates)[number]]); // on this thread: the first touches the pages
    // Fault injection: the worker dies (as if it had crashed) before the next fold.
    await orphaned['worker']['started']?.thread.terminate();
    orphaned.foldUpdates([updates[1] as (typeof updates)[number]]); // posted jobs wait 50 ms, then run here
    expect(orphaned['worker']['started']).toBeNull(); // abandoned
    orphaned.foldUpdates([updates[2] as (typeof updates)[number]]); // no worker any more
    expect(sumsEqual(orphaned, here)).toBe(true);
    orphaned.close();
  });
});
