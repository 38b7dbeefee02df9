import { describe, expect, it } from '@jest/globals';
import { StreamingFedAvg, type WeightTensor } from './streaming-fedavg';
import { K_MAX } from './two-limb-sum';
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

  it('sums exactly where a float64 accumulator depends on the order', () => {
    // Terms 2²⁴, 2⁻²⁹, −2²⁴, 2⁻²⁹ (n = 1). In float64, 2²⁴ + 2⁻²⁹ is a tie at half an ulp (2⁻²⁸) and
    // rounds to 2²⁴, so that order gives 2⁻²⁹, while adding the small terms first gives 2⁻²⁸.
    // The exact sum is 2⁻²⁸, the mean over Σn = 4 is 2⁻³⁰.
    const terms = [2 ** 24, 2 ** -29, -(2 ** 24), 2 ** -29];
    expect(terms.reduce((a, b) => a + b)).toBe(2 ** -29);
    expect([1, 3, 0, 2].reduce((a, i) => a + (terms[i] as number), 0)).toBe(2 ** -28);
    for (const order of [
      [0, 1, 2, 3],
      [1, 3, 0, 2],
    ]) {
      const fedavg = new StreamingFedAvg([{ name: 'x', shape: [] }]);
      for (const i of order) fedavg.add([tensor('x', [], [terms[i] as number])], 1);
      expect(fedavg.result()[0]?.values[0]).toBe(2 ** -30);
    }
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
      const fedavg = new StreamingFedAvg(layoutOf(global));
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
      // Its own error is ≤ 4·2⁻⁵³·Σ nᵢ|δᵢ| / Σ nᵢ; ours adds a float32 rounding (≤ 2⁻²⁴ relative) and,
      // for terms below the 2⁻⁵² grid (|δ| < 2⁻²⁹), ≤ 2⁻⁵³ per term (two-limb-sum.ts step 5).
      const total = updates.reduce((a, u) => a + u.samples, 0);
      const grid = (updates.length * 2 ** -53) / total;
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
        'a value beyond ±2²⁵ once weighted',
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

    it(`refuses update ${K_MAX + 1}: beyond that the sums could stop being exact`, () => {
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
