import { randomBytes } from 'node:crypto';
import { bytesToElement, P521, shamirCombine, shamirSplit } from './shamir';
import { SecAggError } from './secagg-error';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof SecAggError ? e.code : `not a SecAggError: ${String(e)}`;
  }
  return undefined;
};

/** All k-element subsets of xs. */
function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [head, ...rest] = xs as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

describe('shamirSplit / shamirCombine over GF(2^521 − 1)', () => {
  const secret = bytesToElement(randomBytes(32));
  const shares = Object.freeze(shamirSplit(secret, 3, [1, 2, 3, 4, 5]));

  it('any 3 of 5 shares give the secret back, in any order', () => {
    for (const s of subsets(shares, 3)) {
      expect(shamirCombine(s, 3)).toBe(secret);
      expect(shamirCombine([...s].reverse(), 3)).toBe(secret);
    }
    expect(shamirCombine(shares, 3)).toBe(secret);
  });

  it('the largest 32-byte secret (2^256 − 1) is an element and survives', () => {
    const big = (1n << 256n) - 1n;
    expect(big < P521).toBe(true);
    expect(shamirCombine(shamirSplit(big, 2, [4, 9]), 2)).toBe(big);
  });

  it('two shares of a threshold-3 secret do not give it (Lagrange on too few points is refused)', () => {
    expect(codeOf(() => shamirCombine(shares.slice(0, 2), 3))).toBe('too_few_shares');
  });

  it('refuses duplicate points, points outside 1..p−1 and values outside the field, with named codes', () => {
    const [a, b] = shares as [{ x: number; y: bigint }, { x: number; y: bigint }];
    expect(codeOf(() => shamirCombine([a, { ...b, x: a.x }, shares[2]!], 3))).toBe('duplicate_share');
    expect(codeOf(() => shamirCombine([a, b, { x: 0, y: 5n }], 3))).toBe('malformed_share');
    expect(codeOf(() => shamirCombine([a, b, { x: 1.5, y: 5n }], 3))).toBe('malformed_share');
    expect(codeOf(() => shamirCombine([a, b, { x: 7, y: P521 }], 3))).toBe('malformed_share');
    expect(codeOf(() => shamirCombine([a, b, { x: 7, y: -1n }], 3))).toBe('malformed_share');
    expect(codeOf(() => shamirSplit(secret, 6, [1, 2, 3, 4, 5]))).toBe('bad_parameters');
    expect(codeOf(() => shamirSplit(secret, 2, [1, 1, 2]))).toBe('duplicate_share');
  });
});

describe('t − 1 shares say nothing of the secret (exhaustive, GF(11), t = 3)', () => {
  // Shamir 1979: for t − 1 shares and ANY candidate secret s', exactly one polynomial of degree
  // t − 1 with f(0) = s' passes through them — counted here over all p^(t−1) coefficient choices.
  const p = 11n;
  it('every candidate secret is consistent with 2 shares through exactly one polynomial', () => {
    const coefficients = [7n, 3n];
    let next = 0;
    const given = shamirSplit(4n, 3, [2, 5, 6], p, () => coefficients[next++] as bigint).slice(0, 2);
    for (let candidate = 0n; candidate < p; candidate++) {
      let consistent = 0;
      for (let a1 = 0n; a1 < p; a1++) {
        for (let a2 = 0n; a2 < p; a2++) {
          if (given.every(({ x, y }) => (candidate + a1 * BigInt(x) + a2 * BigInt(x) ** 2n) % p === y))
            consistent++;
        }
      }
      expect(consistent).toBe(1);
    }
  });

  it('3 shares over GF(11) determine it (f(x) = 4 + 7x + 3x²: f(2) = 30 ≡ 8, by hand)', () => {
    const coefficients = [7n, 3n];
    let next = 0;
    const s = shamirSplit(4n, 3, [2, 5, 6], p, () => coefficients[next++] as bigint);
    expect(s[0]).toEqual({ x: 2, y: 8n });
    expect(shamirCombine(s, 3, p)).toBe(4n);
  });
});
