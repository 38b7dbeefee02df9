import { describe, expect, it } from '@jest/globals';
import { kerasWeightName } from './keras-names';

describe('kerasWeightName', () => {
  // Layer names from tf.keras 2.x / keras-applications 1.0.8 densenet.py against Keras 3's.
  it.each([
    ['conv1/conv/kernel', 'conv1_conv/kernel'],
    ['conv1/bn/moving_variance:0', 'conv1_bn/moving_variance'],
    ['fc1000/kernel', 'predictions/kernel'],
    ['conv2_block1_0_bn/gamma', 'conv2_block1_0_bn/gamma'],
    ['conv1_conv/kernel', 'conv1_conv/kernel'],
    ['bn/beta:0', 'bn/beta'],
  ])('maps %s to %s', (legacy, keras3) => {
    expect(kerasWeightName(legacy)).toBe(keras3);
  });
});
