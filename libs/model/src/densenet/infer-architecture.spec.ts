import { beforeAll, describe, expect, it } from '@jest/globals';
import { selectEngine } from '../engine';
import { weightShapes } from '../io/named-weights';
import { ARCHITECTURES } from './architectures';
import { buildModel, type Head } from './build-model';
import { inferArchitecture } from './infer-architecture';

beforeAll(async () => {
  await selectEngine('cpu');
});

describe('inferArchitecture', () => {
  // Every head on the tiny preset; the large ones once each (a DenseNet201 build takes ~0.5 s).
  const cases = [
    ...(['imagenet', 'binary', 'none'] as Head[]).map((head) => ({ arch: 'densenet-tiny' as const, head })),
    ...ARCHITECTURES.filter((a) => a !== 'densenet-tiny').map((arch) => ({ arch, head: 'none' as Head })),
  ];

  it.each(cases)('recognises $arch with the $head head from its weight names', ({ arch, head }) => {
    const model = buildModel({ arch, head, classes: 7, inputSize: 32 });
    const shapes = weightShapes(model);
    model.dispose();
    const expected = { imagenet: 7, binary: 1, none: 1000 }[head];
    expect(inferArchitecture(shapes)).toEqual({ arch, head, classes: expected });
  });

  it('names the block layout of an unknown DenseNet', () => {
    const weights = [
      { name: 'conv2_block3_2_conv/kernel', shape: [3, 3, 128, 32] },
      { name: 'conv2_block1_2_conv/kernel', shape: [3, 3, 128, 32] },
      { name: 'conv3_block5_0_bn/gamma', shape: [224] },
    ];
    expect(() => inferArchitecture(weights)).toThrow(
      /dense blocks \[3,5\] with growth 32; expected one of densenet121 \[6,12,24,16\]\/32/,
    );
  });
});
