import { randomBytes } from 'node:crypto';
import { SecAggError } from './secagg-error';

/**
 * Shamir secret sharing (Shamir 1979, "How to share a secret", CACM 22(11)) over the prime field
 * GF(p): the secret s is the constant term of a random polynomial f of degree t − 1,
 * f(x) = s + a₁x + … + a_{t−1}x^{t−1} (aⱼ uniform in GF(p)); share i is (xᵢ, f(xᵢ)) with distinct
 * xᵢ ≠ 0. Any t shares determine f, and s = f(0) = Σᵢ yᵢ·Πⱼ≠ᵢ xⱼ/(xⱼ − xᵢ) (Lagrange at 0); any
 * t − 1 shares are consistent with every s (for each s exactly one f of degree t − 1 passes
 * through them and (0, s)), so they tell nothing about it.
 *
 * The default field is GF(2⁵²¹ − 1) (a Mersenne prime): every 32-byte secret (a mask seed, an
 * X25519 private key) is an element as it is, so one share carries one secret, 66 bytes.
 *
 * @example
 * const shares = shamirSplit(secret32, 3, [1, 2, 3, 4, 5]);
 * shamirCombine([shares[0], shares[2], shares[4]], 3); // secret32 back as a bigint
 */
export const P521 = (1n << 521n) - 1n;
/** Bytes of a GF(2⁵²¹ − 1) element. */
export const P521_BYTES = 66;

export interface ShamirShare {
  /** The evaluation point: a site's index, 1…n. */
  readonly x: number;
  readonly y: bigint;
}

/** Shares of `secret` at the points `xs` with threshold t; `coefficient` draws a₁…a_{t−1} (tests pass a fixed one). */
export function shamirSplit(
  secret: bigint,
  t: number,
  xs: readonly number[],
  p: bigint = P521,
  coefficient: () => bigint = () => randomElement(p),
): ShamirShare[] {
  if (!Number.isInteger(t) || t < 1 || t > xs.length) {
    throw new SecAggError(
      'bad_parameters',
      `threshold ${t} is not an integer in 1..${xs.length} (the number of shares)`,
    );
  }
  if (secret < 0n || secret >= p)
    throw new SecAggError('bad_parameters', `the secret is not an element of GF(${p})`);
  checkPoints(xs, p);
  const coefficients = [secret];
  for (let j = 1; j < t; j++) coefficients.push(coefficient());
  return xs.map((x) => {
    // Horner: f(x) = (…(a_{t−1}·x + a_{t−2})·x + …)·x + s.
    let y = 0n;
    for (let j = coefficients.length - 1; j >= 0; j--) y = (y * BigInt(x) + (coefficients[j] as bigint)) % p;
    return { x, y };
  });
}

/**
 * The secret f(0) from at least t shares (the first t are used). Refuses, with a SecAggError, fewer
 * than t shares ('too_few_shares'), two shares at one point ('duplicate_share'), and a point or
 * value outside the field ('malformed_share').
 */
export function shamirCombine(shares: readonly ShamirShare[], t: number, p: bigint = P521): bigint {
  if (shares.length < t) {
    throw new SecAggError(
      'too_few_shares',
      `${shares.length} shares for a threshold of ${t}: at least ${t} survivors must answer`,
    );
  }
  for (const s of shares) {
    if (typeof s.y !== 'bigint' || s.y < 0n || s.y >= p) {
      throw new SecAggError(
        'malformed_share',
        `the share at x = ${s.x} has a value outside GF(p), p = 2^${p.toString(2).length} − 1 or the field given`,
      );
    }
  }
  checkPoints(
    shares.map((s) => s.x),
    p,
  );
  const used = shares.slice(0, t);
  let secret = 0n;
  for (const [i, si] of used.entries()) {
    let num = 1n;
    let den = 1n;
    for (const [j, sj] of used.entries()) {
      if (i === j) continue;
      num = (num * BigInt(sj.x)) % p;
      den = (den * mod(BigInt(sj.x) - BigInt(si.x), p)) % p;
    }
    secret = (secret + si.y * ((num * inverse(den, p)) % p)) % p;
  }
  return secret;
}

/** A 32-byte (or shorter) big-endian secret as a field element. */
export function bytesToElement(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A field element as `length` big-endian bytes (it must fit). */
export function elementToBytes(v: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let rest = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new SecAggError('malformed_share', `a value does not fit in ${length} bytes`);
  return out;
}

function checkPoints(xs: readonly number[], p: bigint): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isSafeInteger(x) || x < 1 || BigInt(x) >= p) {
      throw new SecAggError(
        'malformed_share',
        `share point x = ${x} is not an integer in 1..p−1 (a site index)`,
      );
    }
    if (seen.has(x))
      throw new SecAggError('duplicate_share', `two shares at x = ${x}: each site answers once`);
    seen.add(x);
  }
}

function mod(a: bigint, p: bigint): bigint {
  const r = a % p;
  return r < 0n ? r + p : r;
}

/** a⁻¹ mod p by the extended Euclidean algorithm (a ≠ 0). */
function inverse(a: bigint, p: bigint): bigint {
  let [r0, r1] = [mod(a, p), p];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, p);
}

/** Uniform in GF(p) by rejection from bytes. */
function randomElement(p: bigint): bigint {
  const bits = p.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const v = bytesToElement(randomBytes(bytes)) >> excess;
    if (v < p) return v;
  }
}
