import type { FuzzTarget } from '../support/fuzz-target';

const target = (name: string, run: FuzzTarget['run']): FuzzTarget => ({
  name,
  description: `engine test: ${name}`,
  dictionary: [],
  maxLength: 64,
  run,
});

/**
 * Targets with planted bugs that the engine must find (fuzz-engine.spec.ts). None of them has a
 * committed corpus: each starts from the empty input.
 */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  // Three nested byte comparisons: each level reached is a new block, so coverage feedback keeps
  // the input that reached it; blind mutation of the empty input needs all three bytes at once.
  target('needle', (d) => {
    if (d[0] === 0xff) {
      if (d[1] === 0x80) {
        if (d[2] === 0x7f) throw new TypeError('found the needle ff 80 7f');
      }
    }
  }),
  target('hang', (d) => {
    if (d.length >= 3) for (;;);
  }),
  target('unbounded', (d) => {
    if (d.length < 3) return;
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array<number>(1 << 20).fill(d.length));
  }),
  target('async-reject', async (d) => {
    await Promise.resolve();
    if (d.length >= 2) throw new RangeError('async refusal of an undocumented kind');
  }),
];
