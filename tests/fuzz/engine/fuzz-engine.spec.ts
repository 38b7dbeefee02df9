// The fuzz engine finds what it claims to find: an error thrown deep behind byte comparisons
// (coverage feedback), an input that never returns (watchdog), an input that allocates without
// bound (the worker's heap limit), and reports the input that did it, the same input for the
// same seed.
import * as path from 'node:path';
import { runFuzzer } from '../support/fuzz-run';

const targetsModule = path.join(__dirname, 'engine-targets');

describe('fuzz engine', () => {
  it('finds an error behind three nested byte checks, with the input that throws it', async () => {
    const r = await runFuzzer({ targetsModule, target: 'needle', seed: 1, runs: 20_000 });
    expect(r.failure?.kind).toBe('crash');
    expect(r.failure?.error).toContain('found the needle');
    expect([...r.failure!.input.subarray(0, 3)]).toEqual([0xff, 0x80, 0x7f]);
    const again = await runFuzzer({ targetsModule, target: 'needle', seed: 1, runs: 20_000 });
    expect(again.execs).toBe(r.execs);
    expect([...again.failure!.input]).toEqual([...r.failure!.input]);
  }, 120_000);

  it('reports an input that never returns as a hang', async () => {
    const r = await runFuzzer({ targetsModule, target: 'hang', seed: 1, runs: 10_000, hangMs: 2_000 });
    expect(r.failure?.kind).toBe('hang');
    expect(r.failure!.input.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('reports an input that allocates without bound as out of memory', async () => {
    const r = await runFuzzer({ targetsModule, target: 'unbounded', seed: 1, runs: 10_000, heapMb: 64 });
    expect(r.failure?.kind).toBe('out_of_memory');
    expect(r.failure!.input.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('awaits async targets and reports their rejections', async () => {
    const r = await runFuzzer({ targetsModule, target: 'async-reject', seed: 1, runs: 10_000 });
    expect(r.failure?.kind).toBe('crash');
    expect(r.failure?.error).toContain('RangeError: async refusal');
  }, 120_000);
});
