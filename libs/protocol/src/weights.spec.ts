import { describe, expect, it } from '@jest/globals';
import type { NamedTensor } from './tensor';
import { addWeights, assertSameLayout, subtractWeights, WeightLayoutError } from './weights';

const t = (name: string, shape: number[], values: number[]): NamedTensor =>
  Object.freeze({ name, shape, values: new Float32Array(values) });

const local = Object.freeze([t('w', [2], [1.5, -2]), t('b', [], [0.25])]);
const global = Object.freeze([t('b', [], [1]), t('w', [2], [0.5, 3])]); // other order: matched by name

describe('weight set arithmetic', () => {
  it('computes delta = local − global per tensor by name', () => {
    // Hand values: [1.5 − 0.5, −2 − 3] and 0.25 − 1, all exact in float32.
    expect(subtractWeights(local, global).map((x) => [x.name, [...x.values]])).toEqual([
      ['w', [1, -5]],
      ['b', [-0.75]],
    ]);
  });

  it('adds a delta back onto the global weights', () => {
    const delta = subtractWeights(local, global);
    expect(addWeights(global, delta).map((x) => [x.name, [...x.values]])).toEqual([
      ['b', [0.25]],
      ['w', [1.5, -2]],
    ]);
  });

  it('rounds each element once to float32', () => {
    // 1 − 2^-30 is not a float32; the nearest (ties to even) is 1.
    expect(subtractWeights([t('x', [1], [1])], [t('x', [1], [2 ** -30])])[0]?.values[0]).toBe(1);
  });

  it.each([
    [[t('w', [2], [1, 2])], [t('w', [1, 2], [1, 2])], 'tensor "w": shape [2] in a, [1, 2] in b'],
    [[t('w', [1], [1])], [t('v', [1], [1])], 'tensor "w": is in a but not in b'],
    [[t('w', [1], [1])], [t('w', [1], [1]), t('v', [1], [1])], 'tensor "v": is in b but not in a'],
    [[t('w', [1], [1]), t('w', [1], [1])], [t('w', [1], [1])], 'tensor "w": appears twice in a'],
  ])('rejects mismatched layouts naming the tensor (%#)', (a, b, message) => {
    expect(() => assertSameLayout(a, b)).toThrow(WeightLayoutError);
    expect(() => subtractWeights(a, b)).toThrow(message);
  });
});
