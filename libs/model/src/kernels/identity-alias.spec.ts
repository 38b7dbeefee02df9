/**
 * wasm `Identity` as a second reference to its input's buffer (identity-alias.ts): values and
 * gradients as before, one buffer for both tensors until the last one is disposed, and the copy that
 * tfjs-core makes of every tensor a gradient saves no longer duplicates it.
 */
import { expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { identityAliasWasm } from './index';
import { describeWasmKernel } from './wasm-kernel-suite.spec-support';

describeWasmKernel(tf.Identity, identityAliasWasm, () => {
  it('shares the buffer until the last reference is disposed', () => {
    const backend = tf.backend();
    const buffersBefore = backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(buffersBefore + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    // A kernel reading the alias after the original is gone.
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual([2, 3, 4, 5]);
    tf.dispose([y, z]);
    expect(backend.numDataIds()).toBe(buffersBefore);
  });

  it('keeps a variable’s earlier value when the variable is assigned', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, saved]);
  });

  it('copies string tensors (stored outside the wasm heap) with the built-in kernel', () => {
    const s = tf.tensor1d(['a', 'b'], 'string');
    const c = tf.clone(s);
    s.dispose();
    expect(c.dataSync()).toEqual(['a', 'b']);
    c.dispose();
  });

  it('gives the same gradients, and saving a tensor for the backward pass allocates no buffer', () => {
    const backend = tf.backend();
    const x = tf.tensor1d([0.5, -1, 2]);
    const buffersBefore = backend.numDataIds();
    let during = 0;
    const g = tf.grad((t: tf.Tensor) => {
      // Square saves its input: tfjs-core's saveTensorsForBackwardMode runs Identity on it.
      const y = tf.sum(tf.square(t));
      during = backend.numDataIds() - buffersBefore;
      return y;
    })(x);
    expect(Array.from(g.dataSync())).toEqual([1, -2, 4]); // d Σx²/dx = 2x
    // Square's output and Sum's output: 2 new buffers (3 with a copying Identity).
    expect(during).toBe(2);
    tf.dispose([x, g]);
  });
});
