import { describe, expect, it } from '@jest/globals';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../densenet/build-model';
import { applyTrainableScope, layerStage, parseTrainableScope } from './scope';

describe('layerStage', () => {
  it('classifies Keras DenseNet201 layer names (keras/src/applications/densenet.py)', () => {
    const cases: [string, ReturnType<typeof layerStage>][] = [
      ['input_1', 'stem'],
      ['zero_padding2d_1', 'stem'],
      ['conv1_conv', 'stem'],
      ['conv1_bn', 'stem'],
      ['pool1', 'stem'],
      ['conv2_block1_0_bn', 2],
      ['pool2_conv', 2],
      ['conv4_block48_concat', 4],
      ['pool4_pool', 4],
      ['conv5_block32_2_conv', 5],
      ['bn', 'last'],
      ['relu', 'last'],
      ['aln_pool', 'head'],
      ['aln_output', 'head'],
      ['predictions', 'head'],
    ];
    expect(cases.map(([name]) => [name, layerStage(name)])).toEqual(cases);
  });
});

describe('applyTrainableScope', () => {
  const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed: 1 });
  const trainable = () => model.layers.filter((l) => l.trainable && l.weights.length > 0).map((l) => l.name);

  it('from-block-3 trains dense blocks 3–4, transition 3, the final bn and the head; restores after', () => {
    const before = model.layers.map((l) => l.trainable);
    const restore = applyTrainableScope(model, parseTrainableScope('from-block-3'));
    const names = trainable();
    expect(
      names.some((n) => n.startsWith('conv2_') || n.startsWith('pool2_') || n.startsWith('conv1_')),
    ).toBe(false);
    expect(names).toEqual(
      expect.arrayContaining(['conv3_block1_1_conv', 'pool3_bn', 'conv4_block2_2_conv', 'bn', 'aln_output']),
    );
    restore();
    expect(model.layers.map((l) => l.trainable)).toEqual(before);
  });

  it('head trains only the head', () => {
    const restore = applyTrainableScope(model, 'head');
    expect(trainable()).toEqual(['aln_output']);
    restore();
  });

  it('rejects an unknown spelling or block, naming it', () => {
    expect(() => parseTrainableScope('from-block-x')).toThrow('"from-block-x" is unknown');
    expect(() => applyTrainableScope(model, { fromBlock: 5 })).toThrow('its blocks are 2, 3, 4');
  });
});
