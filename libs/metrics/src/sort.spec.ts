import { Xoshiro128StarStar } from '@fedaln/site-data';
import { argsort, argsortComparison, sortedCopy } from './sort';

function data(n: number, seed: number, kind: 'ties' | 'wide' | 'signed'): Float64Array {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.nextFloat();
    if (kind === 'ties') out[i] = Math.round(u * 20) / 20;
    else if (kind === 'wide') out[i] = (u - 0.5) * 10 ** Math.floor(rng.nextFloat() * 600 - 300);
    else out[i] = [0, -0, -1, 1, -Number.MIN_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, u - 0.5][i % 8]!;
  }
  return out;
}

describe('argsort', () => {
  it('is the stable ascending order', () => {
    expect(Array.from(argsort([0.3, 0.1, 0.3, 0.2]))).toEqual([1, 3, 0, 2]);
  });

  it.each([
    ['ties', 5000],
    ['wide', 5000],
    ['signed', 4000],
    ['ties', 256],
  ] as const)('radix path equals the comparison sort on %s data (n = %i)', (kind, n) => {
    const x = data(n, n + kind.length, kind);
    const ours = argsort(x);
    const oracle = argsortComparison(Array.from(x, (v) => v + 0)); // −0 ties with 0
    expect(Array.from(ours)).toEqual(Array.from(oracle));
  });

  it('ties -0 with 0 and orders negative numbers correctly', () => {
    const x = new Float64Array(600).fill(1);
    x[10] = 0;
    x[5] = -0;
    x[7] = -2;
    x[3] = -1;
    expect(Array.from(argsort(x)).slice(0, 4)).toEqual([7, 3, 5, 10]);
  });

  it('handles all-equal and tiny inputs', () => {
    expect(Array.from(argsort(new Float64Array(1000).fill(0.5)))).toEqual([...Array(1000).keys()]);
    expect(Array.from(argsort([]))).toEqual([]);
    expect(Array.from(argsort([2]))).toEqual([0]);
  });
});

describe('sortedCopy', () => {
  it.each([
    ['ties', 5000],
    ['wide', 5000],
    ['signed', 4000],
    ['signed', 100],
  ] as const)('sorts %s data (n = %i) like Array.prototype.sort, with -0 as 0', (kind, n) => {
    const x = data(n, n * 7 + kind.length, kind);
    const expected = Array.from(x, (v) => v + 0).sort((a, b) => a - b);
    const ours = Array.from(sortedCopy(x));
    expect(ours).toEqual(expected);
    expect(ours.some((v) => Object.is(v, -0))).toBe(false);
  });

  it('leaves its input alone', () => {
    const x = [0.3, -0, 0.1];
    expect(Array.from(sortedCopy(x))).toEqual([0, 0.1, 0.3]);
    expect(x).toEqual([0.3, -0, 0.1]);
  });
});
