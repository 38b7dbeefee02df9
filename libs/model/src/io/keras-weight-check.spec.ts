import { describe, expect, it } from '@jest/globals';
import { KerasImportError, type KerasCheckContext, matchKerasTensors } from './keras-weight-check';

// Shapes of densenet-tiny (libs/model/src/densenet/architectures.ts: stem of 24 filters, 48
// channels before the classifier), as `fedaln-model summary --arch densenet-tiny --json` lists them.
const expected = Object.freeze([
  { name: 'conv1_conv/kernel', shape: [7, 7, 3, 24] },
  { name: 'bn/gamma', shape: [48] },
  { name: 'predictions/kernel', shape: [48, 1000] },
  { name: 'predictions/bias', shape: [1000] },
]);
const ctx: KerasCheckContext = {
  file: 'x.h5',
  arch: 'densenet-tiny',
  layout: 'keras2-weights',
  noTop: false,
};
const found = (overrides: Record<string, number[] | null>) =>
  expected
    .map((e) => ({
      name: e.name,
      path: `${e.name}:0`,
      shape: overrides[e.name] === undefined ? e.shape : overrides[e.name],
    }))
    .filter((t): t is { name: string; path: string; shape: number[] } => t.shape !== null);

function problem(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(KerasImportError);
    return (err as Error).message;
  }
  throw new Error('expected a KerasImportError');
}

describe('matchKerasTensors', () => {
  it('returns the file tensors in the expected order when every name and shape fits', () => {
    const shuffled = [...found({})].reverse();
    expect(matchKerasTensors(expected, shuffled, ctx).map((t) => t.name)).toEqual(
      expected.map((e) => e.name),
    );
  });

  it('names a mis-shaped weight by layer and weight, expected against found, and its dataset', () => {
    expect(
      problem(() => matchKerasTensors(expected, found({ 'conv1_conv/kernel': [7, 7, 3, 16] }), ctx)),
    ).toContain(
      'layer conv1_conv weight kernel: expected [7,7,3,24], found [7,7,3,16] (conv1_conv/kernel:0)',
    );
  });

  it('names a missing weight with its shape', () => {
    expect(problem(() => matchKerasTensors(expected, found({ 'bn/gamma': null }), ctx))).toContain(
      'missing 1: bn/gamma [48]',
    );
  });

  it('tells to pass --no-top when the file has no classifier', () => {
    const m = problem(() =>
      matchKerasTensors(expected, found({ 'predictions/kernel': null, 'predictions/bias': null }), ctx),
    );
    expect(m).toContain('missing 2: predictions/kernel [48,1000]; predictions/bias [1000]');
    expect(m).toContain('pass --no-top');
  });

  it('tells to pass --classes N (or --no-top) when the classifier has another size', () => {
    const m = problem(() =>
      matchKerasTensors(expected, found({ 'predictions/kernel': [48, 10], 'predictions/bias': [10] }), ctx),
    );
    expect(m).toContain("the file's classifier has 10 classes: pass --classes 10, or --no-top to drop it");
  });

  it('ignores the file classifier with --no-top, and names other unexpected weights', () => {
    const noTop = { ...ctx, noTop: true };
    const features = expected.slice(0, 2);
    expect(matchKerasTensors(features, found({}), noTop)).toHaveLength(2);
    const extra = [...found({}), { name: 'conv9_conv/kernel', path: 'conv9', shape: [1] }];
    expect(problem(() => matchKerasTensors(features, extra, noTop))).toContain(
      'unexpected 1: conv9_conv/kernel [1]',
    );
  });

  it('names the DenseNet a Keras 3 file holds from its count of conv2d layers (densenet121: 120)', () => {
    const m = problem(() =>
      matchKerasTensors(expected, found({ 'bn/gamma': [1024] }), {
        ...ctx,
        layout: 'keras3',
        keras3Convs: 120,
      }),
    );
    expect(m).toContain('the file holds a densenet121: pass --arch densenet121');
  });
});
