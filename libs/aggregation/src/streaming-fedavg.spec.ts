import { describe, expect, it } from '@jest/globals';
import { StreamingFedAvg, type TensorSource, type WeightTensor } from './streaming-fedavg';
import { CHUNK_FLOATS } from './fold-memory';
import { K_MAX } from './grid';
import { UpdateRejected } from './update-rejected';

const tensor = (name: string, shape: number[], values: ArrayLike<number>): WeightTensor =>
  Object.freeze({ name, shape: Object.freeze(shape) as number[], values: Float32Array.from(values) });
const layoutOf = (ts: readonly WeightTensor[]) => ts.map(({ name, shape }) => ({ name, shape }));
const bytesOf = (ts: readonly WeightTensor[]): Buffer =>
  Buffer.concat(ts.map((t) => Buffer.from(t.values.buffer)));

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Park–Miller minimal standard generator. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/**
 * Deltas of four sites (weights 120, 80, 33, 7) built so that a plain float64 accumulator depends on
 * arrival order: per element, 120·δ₀ and 80·δ₁ = −120·δ₀ cancel exactly (δ₀ = k·2⁻¹⁰ with |k| < 2²⁰,
 * so 1.5·δ₀ is still a float32), leaving the small 33·δ₂ + 7·δ₃ whose low bits a float64 sum loses
 * when it adds them to a large partial sum first. Checked: naive float64 sums over the 24 orders
 * differ after rounding to float32 in most elements.
 */
function cancellingDeltas(n: number): Float32Array[] {
  const u = prng(5);
  const d = [0, 1, 2, 3].map(() => new Float32Array(n));
  for (let i = 0; i < n; i++) {
    const k = Math.floor((u() - 0.5) * 2 ** 21);
    (d[0] as Float32Array)[i] = k * 2 ** -10;
    (d[1] as Float32Array)[i] = -1.5 * k * 2 ** -10;
    (d[2] as Float32Array)[i] = (u() - 0.5) * 1e-6;
    (d[3] as Float32Array)[i] = (u() - 0.5) * 10 ** (Math.floor(u() * 12) - 12); // down to below 2⁻²⁹
  }
  return d;
}

describe('StreamingFedAvg', () => {
  it('computes Σ nᵢ·δᵢ / Σ nᵢ and global + that (hand example)', () => {
    // (1·[1, 2] + 3·[5, −2]) / 4 = [16/4, −4/4] = [4, −1]; global [0.5, 0.5] + mean = [4.5, −0.5].
    const fedavg = new StreamingFedAvg([{ name: 'w', shape: [2] }]);
    fedavg.add([tensor('w', [2], [1, 2])], 1);
    fedavg.add([tensor('w', [2], [5, -2])], 3);
    expect([...(fedavg.result()[0]?.values ?? [])]).toEqual([4, -1]);
    expect([...(fedavg.applyTo([tensor('w', [2], [0.5, 0.5])])[0]?.values ?? [])]).toEqual([4.5, -0.5]);
    expect([fedavg.count, fedavg.totalWeight]).toEqual([2, 4]);
  });

  it('rounds each term to the grid on its own, so the order does not matter where float64 sums do', () => {
    // Terms 2²³, 3·2⁻³¹, −2²³, 3·2⁻³¹ (n = 1, scale 1, grid 2⁻²⁶). In float64, 2²³ + 3·2⁻³¹ is 2²³
    // + 0.75 ulp and rounds up, so that order gives 7·2⁻³¹ while adding the small terms first
    // (6·2⁻³¹, then a tie at 1.5 ulp that rounds to even) gives 8·2⁻³¹. Each small term is 3/32 of
    // the grid step, so we round it to 0 in either order: mean 0, within K·q/(2W) = 4·2⁻²⁶/8 of
    // the exact 6·2⁻³¹/4 (grid.ts, "Error").
    const terms = [2 ** 23, 3 * 2 ** -31, -(2 ** 23), 3 * 2 ** -31];
    expect(terms.reduce((a, b) => a + b)).toBe(7 * 2 ** -31);
    expect([1, 3, 0, 2].reduce((a, i) => a + (terms[i] as number), 0)).toBe(8 * 2 ** -31);
    for (const order of [
      [0, 1, 2, 3],
      [1, 3, 0, 2],
    ]) {
      const fedavg = new StreamingFedAvg([{ name: 'x', shape: [] }]);
      for (const i of order) fedavg.add([tensor('x', [], [terms[i] as number])], 1);
      const mean = fedavg.result()[0]?.values[0] as number;
      expect(Object.is(mean, 0)).toBe(true);
      expect(Math.abs(mean - (6 * 2 ** -31) / 4)).toBeLessThanOrEqual((4 * 2 ** -26) / 8);
    }
  });

  it("sets each tensor's grid from the global model: scale = least power of two ≥ max(1, max |g|)", () => {
    // Global max |g| 3 → scale 4, grid 2⁻²⁴, range 2²⁷: a value 2²⁶ from 1 sample is within the
    // limit there and beyond it at scale 1 (range 2²⁵). A term 2⁻²⁵ is half a grid step at scale 4
    // and rounds to even (0), but is on the grid at scale 1.
    const layout = [{ name: 'v', shape: [2] }];
    const global = [tensor('v', [2], [-3, 0.5])];
    const scaled = new StreamingFedAvg(layout, { global });
    scaled.add([tensor('v', [2], [2 ** 26, 2 ** -25])], 1);
    expect([...(scaled.result()[0]?.values ?? [])]).toEqual([2 ** 26, 0]);
    const unit = new StreamingFedAvg(layout);
    expect(() => unit.add([tensor('v', [2], [2 ** 26, 0])], 1)).toThrow(
      expect.objectContaining({ code: 'out_of_range', tensor: 'v', index: 0 }),
    );
    unit.add([tensor('v', [2], [1, 2 ** -25])], 1);
    expect([...(unit.result()[0]?.values ?? [])]).toEqual([1, 2 ** -25]);
  });

  it('with `scale`, puts every tensor on that one grid, whatever the global (the clipped grid, grid.ts)', () => {
    // Scale 2⁵ → grid 2⁻²¹: 3·2⁻²² is 1.5 steps and rounds to even (2 steps = 2⁻²⁰), 2⁻²² is ½ step → 0.
    const layout = [
      { name: 'a', shape: [1] },
      { name: 'b', shape: [1] },
    ];
    const global = [tensor('a', [1], [1000]), tensor('b', [1], [0.1])];
    const coarse = new StreamingFedAvg(layout, { global, scale: 32 });
    coarse.add([tensor('a', [1], [3 * 2 ** -22]), tensor('b', [1], [2 ** -22])], 1);
    expect(coarse.result().map((t) => t.values[0])).toEqual([2 ** -20, 0]);
    expect(() => new StreamingFedAvg(layout, { scale: 3 })).toThrow(
      'grid scale 3 is not a power of two: take it from clippedGridScale',
    );
  });

  it('rejects the update that would take a tensor past its range, and keeps the others', () => {
    // Scale 1: range 2²⁵ for Σ n·max|δ|. Two updates of 2²⁴ × 1 sample fill it exactly; a third
    // with max |δ| = 1 is refused although each of its values is within its own limit.
    const fedavg = new StreamingFedAvg([{ name: 'x', shape: [2] }]);
    fedavg.add([tensor('x', [2], [2 ** 24, 1])], 1);
    fedavg.add([tensor('x', [2], [-(2 ** 24), 3])], 1);
    const before = bytesOf(fedavg.result());
    expect(() => fedavg.check([tensor('x', [2], [1, 0])], 1)).toThrow(/would exceed 33554432/);
    expect(() => fedavg.add([tensor('x', [2], [1, 0])], 1)).toThrow(
      expect.objectContaining({ code: 'out_of_range', tensor: 'x' }),
    );
    expect(bytesOf(fedavg.result()).equals(before)).toBe(true);
    expect([...(fedavg.result()[0]?.values ?? [])]).toEqual([0, 2]);
  });

  it('with shares = 4, refuses an update beyond range / 4 even while the round has room (issue 13)', () => {
    // Scale 1, range 2²⁵, four shares of 2²³. The attack of issue 13: one site sends δ = 0.5 at 2²⁴
    // samples. 2²⁴ × 0.5 = 2²³ fits its share exactly; 2²⁴ × 0.75 does not; the three honest
    // updates after it (100 samples each, each exactly a share) still fit.
    const fedavg = new StreamingFedAvg([{ name: 'x', shape: [1] }], { shares: 4 });
    expect(() => fedavg.check([tensor('x', [1], [0.75])], 2 ** 24)).toThrow(/exceeds its share.*8388608/);
    fedavg.add([tensor('x', [1], [0.5])], 2 ** 24); // exactly its share
    for (let i = 0; i < 3; i++) fedavg.add([tensor('x', [1], [2 ** 23 / 100])], 100); // each exactly a share
    expect(fedavg.count).toBe(4);
    expect(() => new StreamingFedAvg([{ name: 'x', shape: [1] }], { shares: 0 })).toThrow(/shares 0/);
  });

  describe('four updates in all 24 arrival orders', () => {
    const n = 2000;
    const kernels = cancellingDeltas(n);
    const biases = cancellingDeltas(3);
    const updates = [120, 80, 33, 7].map((samples, site) => ({
      samples,
      tensors: [
        tensor('conv/kernel', [10, 10, 10, 2], kernels[site] as Float32Array),
        tensor('conv/bias', [3], biases[site] as Float32Array),
      ],
    }));
    const global = [
      tensor('conv/kernel', [10, 10, 10, 2], Float32Array.from({ length: n }, prng(99))),
      tensor('conv/bias', [3], [0.1, 0.2, 0.3]),
    ];
    const runs = permutations(updates).map((order) => {
      const fedavg = new StreamingFedAvg(layoutOf(global), { global });
      for (const u of order) fedavg.add(u.tensors, u.samples);
      return { mean: fedavg.result(), next: fedavg.applyTo(global) };
    });

    it('gives bit-identical mean deltas and new globals', () => {
      expect(runs).toHaveLength(24);
      // The data has teeth: a float64 accumulator is order-dependent on it.
      const naive = permutations(updates).map((order) =>
        Float32Array.from(
          { length: n },
          (_, i) => order.reduce((a, u) => a + u.samples * (u.tensors[0]?.values[i] as number), 0) / 240,
        ),
      );
      expect(
        naive.some((v) => !Buffer.from(v.buffer).equals(Buffer.from((naive[0] as Float32Array).buffer))),
      ).toBe(true);
      for (const r of runs) {
        expect(bytesOf(r.mean).equals(bytesOf(runs[0]?.mean ?? []))).toBe(true);
        expect(bytesOf(r.next).equals(bytesOf(runs[0]?.next ?? []))).toBe(true);
      }
    });

    it('agrees with an independent float64 weighted mean to float32 precision', () => {
      // Reference: the definition evaluated naively in float64 (Flower's aggregate() in float64).
      // Its own error is ≤ 4·2⁻⁵³·Σ nᵢ|δᵢ| / Σ nᵢ; ours adds a float32 rounding (≤ 2⁻²⁴ relative) and
      // the grid's K·q/(2W) with q = 2⁻²⁶ (global max |g| < 1: scale 1; grid.ts, "Error").
      const total = updates.reduce((a, u) => a + u.samples, 0);
      const grid = (updates.length * 2 ** -26) / (2 * total);
      global.forEach((g, k) => {
        for (let i = 0; i < g.values.length; i++) {
          let sum = 0;
          let mag = 0;
          for (const u of updates) {
            const term = u.samples * (u.tensors[k]?.values[i] as number);
            sum += term;
            mag += Math.abs(term);
          }
          const ref = sum / total;
          const tol = 2 ** -24 * Math.abs(ref) + 2 ** -50 * (mag / total) + grid;
          const ours = runs[0]?.mean[k]?.values[i] as number;
          expect(Math.abs(ours - ref)).toBeLessThanOrEqual(tol);
          const refNext = (g.values[i] as number) + ref;
          const oursNext = runs[0]?.next[k]?.values[i] as number;
          expect(Math.abs(oursNext - refNext)).toBeLessThanOrEqual(2 ** -24 * Math.abs(refNext) + tol);
        }
      });
    });
  });

  describe('rejects bad updates and leaves the accumulator untouched', () => {
    const layout = [
      { name: 'a', shape: [2] },
      { name: 'b', shape: [3] },
    ];
    const good = [tensor('a', [2], [0.5, -0.25]), tensor('b', [3], [1, 2, 3])];
    const cases: [string, WeightTensor[], number, string, string | undefined][] = [
      ['a missing tensor', [good[0] as WeightTensor], 5, 'layout_mismatch', 'b'],
      ['an extra tensor', [...good, tensor('c', [1], [0])], 5, 'layout_mismatch', 'c'],
      ['a duplicated tensor', [...good, good[0] as WeightTensor], 5, 'layout_mismatch', 'a'],
      ['a wrong shape', [good[0] as WeightTensor, tensor('b', [3, 1], [1, 2, 3])], 5, 'layout_mismatch', 'b'],
      [
        'NaN in the second tensor',
        [good[0] as WeightTensor, tensor('b', [3], [1, NaN, 3])],
        5,
        'non_finite',
        'b',
      ],
      [
        '−∞ in the first tensor',
        [tensor('a', [2], [0, -Infinity]), good[1] as WeightTensor],
        5,
        'non_finite',
        'a',
      ],
      [
        'a value beyond 2²⁵ × scale / n',
        [good[0] as WeightTensor, tensor('b', [3], [1, 2, 2 ** 23])],
        5,
        'out_of_range',
        'b',
      ],
      ['zero samples', good, 0, 'bad_weight', undefined],
      ['fractional samples', good, 2.5, 'bad_weight', undefined],
    ];
    it.each(cases)('%s', (_label, update, samples, code, tensorName) => {
      const fedavg = new StreamingFedAvg(layout);
      fedavg.add(good, 3);
      const before = bytesOf(fedavg.result());
      expect(() => fedavg.check(update, samples)).toThrow(UpdateRejected);
      let caught: unknown;
      try {
        fedavg.add(update, samples);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UpdateRejected);
      expect(caught).toMatchObject({ code, tensor: tensorName });
      expect(bytesOf(fedavg.result()).equals(before)).toBe(true);
      expect([fedavg.count, fedavg.totalWeight]).toEqual([1, 3]);
      // Folding the good update again gives exactly what two good folds give.
      const twice = new StreamingFedAvg(layout);
      twice.add(good, 3);
      twice.add(good, 4);
      fedavg.add(good, 4);
      expect(bytesOf(fedavg.result()).equals(bytesOf(twice.result()))).toBe(true);
    });

    it(`refuses update ${K_MAX + 1}: the grid's slack is for at most ${K_MAX}`, () => {
      const fedavg = new StreamingFedAvg([{ name: 'x', shape: [] }]);
      const one = [tensor('x', [], [1])];
      for (let i = 0; i < K_MAX; i++) fedavg.add(one, 1);
      expect(() => fedavg.add(one, 1)).toThrow(expect.objectContaining({ code: 'too_many_updates' }));
    });

    it('has no mean before the first update', () => {
      expect(() => new StreamingFedAvg(layout).result()).toThrow('no update has been added');
    });
  });
});

describe.each(['never', 'always'] as const)(
  'StreamingFedAvg.addAll (two updates per pass), thread: %s',
  (thread) => {
    const layout = [
      { name: 'conv/kernel', shape: [3001] },
      { name: 'conv/bias', shape: [3] },
    ];
    const u = prng(31);
    const update = (scale: number): WeightTensor[] => [
      tensor(
        'conv/kernel',
        [3001],
        Float32Array.from({ length: 3001 }, () => (u() - 0.5) * scale),
      ),
      tensor('conv/bias', [3], [u() - 0.5, u() - 0.5, u() - 0.5]),
    ];
    const withValue = (t: WeightTensor[], k: number, i: number, v: number): WeightTensor[] =>
      t.map((x, j) =>
        j === k ? tensor(x.name, [...x.shape], Object.assign(Float32Array.from(x.values), { [i]: v })) : x,
      );
    const good = [1, 2, 3, 4, 5, 6].map(() => update(1e-2));
    // Each within the range alone; with the updates before it, over the range of 'conv/bias' (2²⁵).
    const huge = [good[0]?.[0] as WeightTensor, tensor('conv/bias', [3], [0.9 * 2 ** 25, 0, 0])];
    // Pairs formed: (0, 1), (2, 3), (4, 7) once 5 and 6 fail the checks made before folding, then 8 alone.
    const batch = [
      { update: good[0] as WeightTensor[], nSamples: 120 },
      { update: withValue(good[1] as WeightTensor[], 0, 2900, NaN), nSamples: 80 },
      { update: huge, nSamples: 1 },
      { update: huge, nSamples: 1 }, // its pair's first took the range: out of range
      { update: good[2] as WeightTensor[], nSamples: 33 },
      { update: [good[3]?.[0] as WeightTensor], nSamples: 7 }, // layout: 'conv/bias' missing
      { update: good[4] as WeightTensor[], nSamples: 0 }, // bad weight
      { update: withValue(good[5] as WeightTensor[], 1, 2, -Infinity), nSamples: 3 },
      { update: good[5] as WeightTensor[], nSamples: 3 },
    ];
    const codes = (rs: (UpdateRejected | undefined)[]) => rs.map((r) => r && [r.code, r.tensor, r.index]);

    it('gives exactly what add() one at a time gives: accumulator bit for bit, same rejections', () => {
      const one = new StreamingFedAvg(layout, { thread });
      const expected = batch.map(({ update: t, nSamples }) => {
        try {
          one.add(t, nSamples);
          return undefined;
        } catch (e) {
          return e as UpdateRejected;
        }
      });
      expect(codes(expected)).toEqual([
        undefined,
        ['non_finite', 'conv/kernel', 2900],
        undefined,
        ['out_of_range', 'conv/bias', undefined],
        undefined,
        ['layout_mismatch', 'conv/bias', undefined],
        ['bad_weight', undefined, undefined],
        ['non_finite', 'conv/bias', 2],
        undefined,
      ]);
      const all = new StreamingFedAvg(layout, { thread });
      const got = all.addAll(batch);
      expect(codes(got)).toEqual(codes(expected));
      expect(got.map((r) => r?.message)).toEqual(expected.map((r) => r?.message));
      expect([all.count, all.totalWeight]).toEqual([one.count, one.totalWeight]);
      expect(bytesOf(all.result()).equals(bytesOf(one.result()))).toBe(true);
      // The rejected ones left nothing behind: the accepted ones alone give the same bytes.
      const accepted = new StreamingFedAvg(layout, { thread });
      accepted.addAll(batch.filter((_, i) => expected[i] === undefined));
      expect(bytesOf(accepted.result()).equals(bytesOf(one.result()))).toBe(true);
    });

    it('check() counts the pending updates it is given against the range', () => {
      const fedavg = new StreamingFedAvg(layout, { thread });
      const first = fedavg.check(huge, 1);
      expect(first.maxAbs[1]).toBe(Math.fround(0.9 * 2 ** 25));
      expect(() => fedavg.check(huge, 1)).not.toThrow();
      expect(() => fedavg.check(huge, 1, [first])).toThrow(
        expect.objectContaining({ code: 'out_of_range', tensor: 'conv/bias' }),
      );
    });
  },
);

describe('StreamingFedAvg with tensors read on demand (TensorSource)', () => {
  it('folds, checks and rejects a source exactly as the same values in memory', () => {
    const layout = [
      { name: 'big', shape: [70_001] },
      { name: 'small', shape: [3] },
    ];
    const big = Float32Array.from({ length: 70_001 }, (_, i) => Math.cos(i) * 1e-2);
    const small = Float32Array.from([0.5, -0.25, 1]);
    let reads = 0;
    const source = (name: string, shape: number[], values: Float32Array): TensorSource => ({
      name,
      shape,
      read: (from, into) => {
        reads++;
        into.set(values.subarray(from, from + into.length));
      },
    });
    const inMemory = new StreamingFedAvg(layout);
    inMemory.add([tensor('big', [70_001], big), tensor('small', [3], small)], 30);
    const fromSource = new StreamingFedAvg(layout);
    const update = [source('big', [70_001], big), source('small', [3], small)];
    fromSource.check(update, 30);
    fromSource.add(update, 30);
    expect(reads).toBeGreaterThan(2);
    expect(bytesOf(fromSource.result()).equals(bytesOf(inMemory.result()))).toBe(true);
    // A NaN deep in the source: refused with its index, accumulator unchanged.
    const bad = Float32Array.from(big);
    bad[69_999] = NaN;
    const before = bytesOf(fromSource.result());
    const badUpdate = [source('big', [70_001], bad), source('small', [3], small)];
    expect(() => fromSource.check(badUpdate, 30)).toThrow(
      expect.objectContaining({ code: 'non_finite', index: 69_999 }),
    );
    expect(() => fromSource.add(badUpdate, 30)).toThrow(
      expect.objectContaining({ code: 'non_finite', index: 69_999 }),
    );
    expect(bytesOf(fromSource.result()).equals(before)).toBe(true);
  });

  it.each(['never', 'always'] as const)(
    'passes on a read that fails part-way and then refuses to go on (thread: %s)',
    (thread) => {
      const n = 3 * CHUNK_FLOATS + 5;
      const layout = [{ name: 'w', shape: [n] }];
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e-3);
      const fedavg = new StreamingFedAvg(layout, { thread });
      fedavg.add([tensor('w', [n], values)], 4);
      fedavg.add([tensor('w', [n], values)], 4); // the worker's first fold, with 'always'
      const failing: TensorSource = {
        name: 'w',
        shape: [n],
        read: (from, into) => {
          if (from >= 2 * CHUNK_FLOATS) throw new Error('/data/blobs/ab/abc ended at byte 1048576');
          into.set(values.subarray(from, from + into.length));
        },
      };
      expect(() => fedavg.add([failing], 4)).toThrow('ended at byte 1048576');
      expect(() => fedavg.result()).toThrow(/stopped part-way .*ended at byte 1048576.*start a new one/);
      expect(() => fedavg.add([tensor('w', [n], values)], 4)).toThrow(/stopped part-way/);
      fedavg.close();
    },
  );
});

describe('StreamingFedAvg.applyChunk', () => {
  it('writes, chunk by chunk, the same values applyTo gives whole', () => {
    const n = 1001;
    const layout = [{ name: 'w', shape: [n] }];
    const global = [
      tensor(
        'w',
        [n],
        Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
      ),
    ];
    const fedavg = new StreamingFedAvg(layout, { global });
    fedavg.add(
      [
        tensor(
          'w',
          [n],
          Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 1e-3),
        ),
      ],
      17,
    );
    fedavg.add(
      [
        tensor(
          'w',
          [n],
          Float32Array.from({ length: n }, (_, i) => (i % 7) * 1e-4),
        ),
      ],
      5,
    );
    const whole = fedavg.applyTo(global)[0]!.values;
    const chunked = new Float32Array(n);
    for (let from = 0; from < n; from += 300) {
      const to = Math.min(n, from + 300);
      fedavg.applyChunk(0, from, chunked.subarray(from, to), global[0]!.values.subarray(from, to));
    }
    expect(Buffer.from(chunked.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    expect(() => fedavg.applyChunk(0, 1000, new Float32Array(2), new Float32Array(2))).toThrow(RangeError);
  });
});
