/**
 * Which wire names (Keras weight names, `<layer>/<weight>`) are BatchNormalization parameters (γ
 * `gamma`, β `beta`) or statistics (`moving_mean`, `moving_variance`): what FedBN (Li et al., ICLR 2021)
 * keeps at each site. Here, without tfjs, so the coordinator reads the same rule as the sites;
 * `@fedaln/model` batchNormWeightNames reads the set from a model's layers and its spec checks both
 * agree on every DenseNet.
 */

/** The weights of a Keras BatchNormalization layer, in creation order. */
export const BATCH_NORM_WEIGHTS = Object.freeze(['gamma', 'beta', 'moving_mean', 'moving_variance'] as const);

/**
 * Whether a Keras weight name is a BatchNormalization parameter or statistic.
 * @example isBatchNormWeightName('conv2_block1_1_bn/moving_mean') // true
 */
export function isBatchNormWeightName(name: string): boolean {
  const slash = name.lastIndexOf('/');
  return slash > 0 && (BATCH_NORM_WEIGHTS as readonly string[]).includes(name.slice(slash + 1));
}

/** The weights of a BatchNormalization layer that are statistics of its inputs, not trained. */
export const BATCH_NORM_STATISTICS = Object.freeze(['moving_mean', 'moving_variance'] as const);

/**
 * Whether a Keras weight name is a BatchNormalization moving statistic (estimated from a site's
 * images, whatever their labels): what update screening measures apart from the trained tensors.
 * @example isBatchNormStatisticName('conv1_bn/moving_variance') // true; isBatchNormStatisticName('conv1_bn/gamma') // false
 */
export function isBatchNormStatisticName(name: string): boolean {
  const slash = name.lastIndexOf('/');
  return slash > 0 && (BATCH_NORM_STATISTICS as readonly string[]).includes(name.slice(slash + 1));
}
