import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  blockOf,
  F32_CAP,
  F32_MAXABS,
  F64_W,
  FoldMemory,
  slotOffset,
  W_ACC,
  W_N,
  W_OP,
  W_STOP,
  W_X,
} from './fold-memory';
import { DONE, post, stateOf } from './fold-ring';
import { foldWorkerFile, FoldWorkerThread } from './fold-worker-thread';
import { gridFoldModule } from './grid-fold-kernel';
import { gridCap, termWeight } from './grid';

/** Waits up to `ms` for slot s's job to be DONE without ever running it on this thread. */
function waitDone(control: Int32Array, s: number, ms: number): number {
  const until = Date.now() + ms;
  let state = Atomics.load(control, stateOf(s));
  while (state !== DONE && Date.now() < until) {
    Atomics.wait(control, stateOf(s), state, 50);
    state = Atomics.load(control, stateOf(s));
  }
  return state;
}

describe('FoldWorkerThread', () => {
  const started: FoldWorkerThread[] = [];
  afterEach(() => started.splice(0).forEach((w) => w.close()));

  it('starts the worker from the compiled module, dist/fold-worker.js, under ts-jest too', () => {
    // ts-jest runs the sources: the worker is the package's built copy (npm run build, tsc -b).
    expect(foldWorkerFile()).toBe(join(__dirname, '..', 'dist', 'fold-worker.js'));
    expect(existsSync(foldWorkerFile())).toBe(true);
  });

  it('whose thread claims a posted job and folds it with the kernel', () => {
    const memory = new FoldMemory([5]);
    const { control, controlF32, controlF64, floats } = memory;
    const worker = new FoldWorkerThread(gridFoldModule(), memory, { thread: 'always', params: 5 });
    started.push(worker);
    expect(worker.use()).toBe(true);
    // Slot 1: fold 5 values of an update of n = 3 samples into tensor 0 (scale 1); the last beyond its cap.
    const x = [0.5, -0.25, 2 ** -27, 1e-3, 2 ** 24];
    const b = blockOf(1);
    floats.set(x, slotOffset(1) / 4);
    control[b + W_OP] = 1;
    control[b + W_ACC] = memory.accumulatorAt(0, 0);
    control[b + W_X] = slotOffset(1);
    control[b + W_N] = x.length;
    controlF64[(b >> 1) + F64_W] = termWeight(3, 1);
    controlF32[b + F32_CAP] = gridCap(1, 3);
    post(control, 1);
    // Only the worker runs a posted job unless this thread cancels it, which it does not here.
    expect(waitDone(control, 1, 20_000)).toBe(DONE);
    expect(control[b + W_STOP]).toBe(4);
    expect(controlF32[b + F32_MAXABS]).toBe(0.5);
    // nearest(x·3·2²⁶), ties to even: 2⁻²⁷·3·2²⁶ = 1.5 → 2; the value beyond the cap folds as 0.
    expect([...memory.accumulator(0, 0, 5)]).toEqual([
      1.5 * 2 ** 26,
      -0.75 * 2 ** 26,
      2,
      Math.round(Math.fround(1e-3) * 3 * 2 ** 26),
      0,
    ]);
  });
});
