/**
 * Keras has named DenseNet layers three ways. Keras 3 (`keras/src/applications/densenet.py`) uses
 * `conv1_conv`, `conv1_bn`, `predictions`: our names. tf.keras 2.x and keras-applications 1.0.x
 * used `conv1/conv` and `conv1/bn`, and keras-applications `fc1000` for the top; every other layer
 * name is the same. tensorflowjs_converter keeps the h5 names, minus the TF `:0` suffix (which
 * older exports sometimes still carry), so conversions of older models name weights that way.
 */
const LEGACY_LAYER_NAMES: Readonly<Record<string, string>> = {
  'conv1/conv': 'conv1_conv',
  'conv1/bn': 'conv1_bn',
  fc1000: 'predictions',
};

/**
 * The Keras 3 name of a weight named by any Keras version.
 *
 * @example kerasWeightName('conv1/bn/moving_mean:0') // 'conv1_bn/moving_mean'
 */
export function kerasWeightName(name: string): string {
  const plain = name.replace(/:0$/, '');
  const cut = plain.lastIndexOf('/');
  if (cut < 0) return plain;
  const layer = plain.slice(0, cut);
  return `${LEGACY_LAYER_NAMES[layer] ?? layer}${plain.slice(cut)}`;
}
