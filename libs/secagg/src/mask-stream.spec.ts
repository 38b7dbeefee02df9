import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { maskRange, type MaskPrg } from './mask-stream';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { decodeSigned, encodeSigned } from './ring';
import { RingKernel } from './ring-kernel';
import { agreedKey, newKeyPair, open, publicKeyOf, seal } from './key-agreement';
import { nearestEven } from './grid-input';
import { SecAggError } from './secagg-error';

describe('maskRange', () => {
  const seed = randomBytes(32);
  const whole = new Uint32Array(2 * 1001);
  maskRange(seed, 0, whole);

  it('is the AES-256-CTR keystream of the seed with a zero IV (SP 800-38A), as little-endian words', () => {
    const ks = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(8 * 1001));
    expect(Buffer.from(whole.buffer).equals(ks)).toBe(true);
  });

  it('any range [a, b) equals those elements of the whole vector (odd and even starts)', () => {
    for (const [a, b] of [
      [0, 1],
      [1, 2],
      [3, 500],
      [500, 1001],
      [999, 1001],
    ] as const) {
      const part = new Uint32Array(2 * (b - a));
      maskRange(seed, a, part);
      expect(part).toEqual(whole.subarray(2 * a, 2 * b));
    }
  });
});

describe('maskRange against reference masks computed apart from Node', () => {
  // fixtures/make_keystream_fixtures.py: Python `cryptography` AES-ECB of explicit SP 800-38A counters,
  // its AES checked against SP 800-38A F.5.1 and F.5.5 (and one case against the openssl command line).
  const { source, cases } = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'keystream.json'), 'utf8'),
  ) as {
    source: string;
    cases: {
      prg: MaskPrg;
      seed: string;
      element_bytes: 4 | 8;
      from: number;
      count: number;
      words: string[];
    }[];
  };

  it.each(cases.map((c) => [c.prg, c.element_bytes, c.from, c.count, c] as const))(
    '%s, %i-byte elements %i.. (%i of them), as the reference',
    (prg, bytes, from, count, c) => {
      expect(source).toMatch(/cryptography/);
      const out = new Uint32Array((count * bytes) / 4);
      maskRange(Buffer.from(c.seed, 'hex'), from, out, bytes, prg);
      expect(Array.from(out, (w) => w.toString(16).padStart(8, '0'))).toEqual(c.words);
    },
  );

  it('the two versions differ for one seed: a session must name the one its masks were made with', () => {
    const seed = Buffer.from(cases[0]?.seed ?? '', 'hex');
    const a = new Uint32Array(8);
    const b = new Uint32Array(8);
    maskRange(seed, 0, a, 4, 'aes-256-ctr');
    maskRange(seed, 0, b, 4, 'aes-128-ctr');
    expect(a).not.toEqual(b);
  });
});

describe('maskRange in Z/2^32 (4-byte elements)', () => {
  const seed = randomBytes(32);
  const whole = new Uint32Array(1001);
  maskRange(seed, 0, whole, 4);

  it('is the same keystream read as 32-bit words, and any range [a, b) equals the whole vector there', () => {
    const ks = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(4 * 1001));
    expect(Buffer.from(whole.buffer).equals(ks)).toBe(true);
    for (const [a, b] of [
      [1, 2],
      [3, 500],
      [997, 1001],
    ] as const) {
      const part = new Uint32Array(b - a);
      maskRange(seed, a, part, 4);
      expect(part).toEqual(whole.subarray(a, b));
    }
  });
});

describe('ring Z/2^32', () => {
  it("encodes and decodes signed integers in [−2³¹, 2³¹) (two's complement)", () => {
    const v = new Uint32Array(1);
    for (const r of [0, 1, -1, -3, 2 ** 30 + 8191, -(2 ** 31), 2 ** 31 - 1]) {
      encodeSigned(v, 0, r, 32);
      expect(decodeSigned(v, 0, 32)).toBe(r);
    }
    encodeSigned(v, 0, -3, 32);
    expect([...v]).toEqual([0xfffffffd]);
  });

  it('the wasm kernel adds and subtracts mod 2^32, counts not a multiple of 4 and offsets too', () => {
    const a = new Uint32Array(randomBytes(4 * 67).buffer);
    const b = new Uint32Array(randomBytes(4 * 66).buffer);
    const ring = new RingKernel(67, 66, 32);
    ring.acc.set(a);
    ring.stage.set(b);
    ring.add(1, 63);
    expect(ring.acc[0]).toBe(a[0]);
    for (let i = 0; i < 63; i++) expect(ring.acc[i + 1]).toBe((a[i + 1]! + b[i]!) % 2 ** 32);
    expect([...ring.acc.subarray(64)]).toEqual([...a.subarray(64)]);
    ring.sub(1, 63);
    expect(ring.acc).toEqual(a);
    expect(() => ring.add(2, 66)).toThrow(RangeError);
  });
});

describe('ring Z/2^64', () => {
  it("encodes and decodes signed integers up to ±2^52 (two's complement)", () => {
    const v = new Uint32Array(2);
    for (const r of [0, 1, -1, -3, 2 ** 32, -(2 ** 32) - 1, 2 ** 52 - 1, -(2 ** 52)]) {
      encodeSigned(v, 0, r);
      expect(decodeSigned(v, 0)).toBe(r);
    }
    encodeSigned(v, 0, -3);
    expect([...v]).toEqual([0xfffffffd, 0xffffffff]);
  });

  it('the wasm kernel adds and subtracts mod 2^64, odd counts and offsets too (checked against BigInt)', () => {
    const a = new Uint32Array(randomBytes(8 * 65).buffer);
    const b = new Uint32Array(randomBytes(8 * 64).buffer);
    const big = (v: Uint32Array, i: number): bigint => (BigInt(v[2 * i + 1]!) << 32n) | BigInt(v[2 * i]!);
    const ring = new RingKernel(65, 64);
    ring.acc.set(a);
    ring.stage.set(b);
    ring.add(1, 63);
    expect(ring.acc[0]).toBe(a[0]);
    expect(ring.acc[1]).toBe(a[1]);
    for (let i = 0; i < 63; i++)
      expect(big(ring.acc, i + 1)).toBe((big(a, i + 1) + big(b, i)) & ((1n << 64n) - 1n));
    expect(big(ring.acc, 64)).toBe(big(a, 64));
    ring.sub(1, 63);
    expect(ring.acc).toEqual(a);
    expect(() => ring.add(2, 64)).toThrow(RangeError);
  });

  it('the committed kernel is what wasm/ring.wat compiles to', () => {
    const script = join(__dirname, '..', '..', 'aggregation', 'scripts', 'build-wasm.cjs');
    expect(() =>
      execFileSync(process.execPath, [script, join(__dirname, '..'), 'ring', 'RING_WASM_BASE64', '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});

describe('nearestEven', () => {
  it('rounds ties to even like IEEE roundToIntegralTiesToEven (Math.round would not)', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2 ** 51 + 0.5, 3.4999, -3.5001].map(nearestEven)).toEqual([
      0,
      2,
      2,
      -0,
      -2,
      -2,
      2 ** 51,
      3,
      -4,
    ]);
  });
});

describe('key agreement', () => {
  it('both ends of a pair derive the same key, distinct per purpose and round', () => {
    const a = newKeyPair();
    const b = newKeyPair();
    const ab = agreedKey(a, b.publicKey, 'r1', 'mask');
    expect(agreedKey(b, a.publicKey, 'r1', 'mask').equals(ab)).toBe(true);
    expect(agreedKey(a, b.publicKey, 'r1', 'share').equals(ab)).toBe(false);
    expect(agreedKey(a, b.publicKey, 'r2', 'mask').equals(ab)).toBe(false);
    expect(publicKeyOf(a.privateKey).equals(a.publicKey)).toBe(true);
  });

  it('a sealed message opens only under its key and AAD', () => {
    const key = randomBytes(32);
    const sealed = seal(key, '1->2', Buffer.from('shares'));
    expect(open(key, '1->2', sealed).toString()).toBe('shares');
    expect(() => open(key, '1->3', sealed)).toThrow(SecAggError);
    sealed[14] = (sealed[14] as number) ^ 1;
    expect(() => open(key, '1->2', sealed)).toThrow(/failed authentication/);
  });
});
