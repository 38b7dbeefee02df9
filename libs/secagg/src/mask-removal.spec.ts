import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ChunkClaims, removeMasks, type MaskToRemove } from './mask-removal';
import { closeMaskRemovalHelpers, maskRemovalHelpers } from './mask-removal-helpers';
import { maskRange } from './mask-stream';
import { ringWords, type RingBits } from './ring';
import { RingKernel } from './ring-kernel';

// Chunks of 1000 elements over 4321: four whole chunks and a partial one, so every thread's claims
// and the last short chunk are exercised.
const ELEMENTS = 4321;
const CHUNK = 1000;

/** A sum of random words with `masks` added as its inputs carried them (+: added, −: subtracted). */
function maskedSum(bits: RingBits, stages: number, base: Uint32Array, masks: readonly MaskToRemove[]) {
  const ring = new RingKernel(ELEMENTS, CHUNK, bits, { stages });
  ring.acc.set(base);
  const words = ringWords(bits);
  for (let from = 0; from < ELEMENTS; from += CHUNK) {
    const count = Math.min(CHUNK, ELEMENTS - from);
    for (const k of masks) {
      maskRange(k.seed, from, ring.stage.subarray(0, words * count), (4 * words) as 4 | 8);
      if (k.carried > 0) ring.add(from, count);
      else ring.sub(from, count);
    }
  }
  return ring;
}

describe.each([64, 32] as const)('removeMasks in Z/2^%i', (bits) => {
  const base = new Uint32Array(randomBytes(4 * ringWords(bits) * ELEMENTS).buffer);
  const masks: readonly MaskToRemove[] = Object.freeze(
    [1, 1, -1, 1, -1].map((carried) => ({ seed: randomBytes(32), carried: carried as 1 | -1 })),
  );

  it('on this thread alone takes every mask off: the sum is its inputs again', () => {
    const ring = maskedSum(bits, 1, base, masks);
    expect(ring.acc).not.toEqual(base);
    expect(removeMasks(ring, masks)).toEqual({ here: 5, chunks: 5 });
    expect(ring.acc).toEqual(base);
  });

  it('with two helper threads sharing the chunks the result is the same bit for bit', () => {
    const ring = maskedSum(bits, 3, base, masks);
    const { here, chunks } = removeMasks(ring, masks);
    expect(chunks).toBe(5);
    expect(here).toBeLessThanOrEqual(5);
    expect(ring.acc).toEqual(base);
  });

  it('a helper alone (this thread only waits) does every chunk, the same bit for bit', () => {
    const ring = maskedSum(bits, 2, base, masks);
    expect(removeMasks(ring, masks, { workHere: false })).toEqual({ here: 0, chunks: 5 });
    expect(ring.acc).toEqual(base);
  });

  it('no mask: nothing changes and no thread is started', () => {
    const ring = maskedSum(bits, 2, base, []);
    expect(removeMasks(ring, [], { workHere: false })).toEqual({ here: 5, chunks: 5 });
    expect(ring.acc).toEqual(base);
  });
});

afterAll(() => closeMaskRemovalHelpers());

describe('the process’s helper threads', () => {
  const base = new Uint32Array(randomBytes(4 * ELEMENTS).buffer);
  const masks: readonly MaskToRemove[] = Object.freeze(
    [1, -1, 1].map((carried) => ({ seed: randomBytes(32), carried: carried as 1 | -1 })),
  );

  it('are started ahead of the unmasking and the same threads serve one unmasking after another', () => {
    maskRemovalHelpers.reserve(2);
    const ids = maskRemovalHelpers.threadIds;
    expect(ids).toHaveLength(2);
    for (let round = 0; round < 3; round++) {
      const ring = maskedSum(32, 3, base, masks);
      expect(removeMasks(ring, masks, { workHere: false })).toEqual({ here: 0, chunks: 5 });
      expect(ring.acc).toEqual(base);
    }
    expect(maskRemovalHelpers.threadIds).toEqual(ids);
  });

  it('once closed are started again by the next unmasking that needs them', async () => {
    maskRemovalHelpers.reserve(1);
    await closeMaskRemovalHelpers();
    expect(maskRemovalHelpers.size).toBe(0);
    const ring = maskedSum(64, 2, new Uint32Array(randomBytes(8 * ELEMENTS).buffer), masks);
    removeMasks(ring, masks, { workHere: false });
    expect(maskRemovalHelpers.size).toBe(1);
  });

  it('never keep the process alive: a script whose helpers did an unmasking exits by itself', async () => {
    // The built package (as the coordinator runs it); the child's exit, not a timer, ends the wait.
    const dist = join(__dirname, '..', 'dist');
    const script = `
      const { RingKernel } = require(${JSON.stringify(join(dist, 'ring-kernel.js'))});
      const { removeMasks } = require(${JSON.stringify(join(dist, 'mask-removal.js'))});
      const ring = new RingKernel(4321, 1000, 32, { stages: 3 });
      const r = removeMasks(ring, [{ seed: new Uint8Array(32).fill(7), carried: 1 }], { workHere: false });
      console.log(JSON.stringify(r));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ here: 0, chunks: 5 });
  });
});

describe('ChunkClaims', () => {
  it('hands out each chunk once, then −1', () => {
    const claims = new ChunkClaims(3);
    expect([claims.claim(), claims.claim(), claims.claim(), claims.claim()]).toEqual([0, 1, 2, -1]);
  });

  it('waits for every chunk to be done', () => {
    const claims = new ChunkClaims(2);
    claims.claim();
    claims.done();
    claims.claim();
    claims.done();
    expect(() => claims.awaitAll(() => undefined)).not.toThrow();
  });

  it('after a failure hands out nothing and says the sum is lost, with the helper’s reason', () => {
    const claims = new ChunkClaims(4);
    claims.claim();
    claims.fail();
    expect(claims.claim()).toBe(-1);
    expect(() => claims.awaitAll(() => 'Error: out of memory')).toThrow(
      'a mask-removal worker thread failed (Error: out of memory): the sum is lost; run the round again',
    );
  });
});
