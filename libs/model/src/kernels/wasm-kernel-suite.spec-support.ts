/**
 * The frame every wasm kernel spec shares (test-only; excluded from the build): the suite runs on
 * the wasm backend, returns to cpu afterwards, and first checks that the project's kernel is the
 * one registered for `kernelName`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';

/**
 * @example
 * describeWasmKernel(tf.SplitV, splitVWasm, () => { it('…', () => { … }); });
 */
export function describeWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc, body: () => void): void {
  describe(`wasm ${kernelName}`, () => {
    beforeAll(async () => {
      await tf.ready();
      expect(await tf.setBackend('wasm')).toBe(true);
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });

    it('replaces the backend’s own kernel', () => {
      expect(tf.getKernel(kernelName, 'wasm')?.kernelFunc).toBe(kernelFunc);
    });

    body();
  });
}
