/**
 * FedBN (Li, Jiang, Zhang, Kamp & Dou, "FedBN: Federated Learning on Non-IID Features via Local Batch
 * Normalization", ICLR 2021, Algorithm 1): every BatchNormalization layer's parameters (γ `gamma`, β
 * `beta`) and statistics (`moving_mean`, `moving_variance`) stay at the site that trained them; only
 * the other weights are averaged. Sites whose scanners shift the image statistics each keep the
 * normalisation that fits their own images.
 *
 * In a Keras-named model (the wire and release names, io/named-weights.ts) those are exactly the weights
 * `<layer>/gamma|beta|moving_mean|moving_variance`, so a holder of only the weight names (the
 * coordinator) and a holder of the model (a site) pick the same set: the name rule lives in
 * `@fedaln/protocol` (batch-norm-names.ts, no tfjs), {@link batchNormWeightNames} reads the set from the
 * layers, and the spec checks both agree on every DenseNet.
 */
import type * as tfl from '@tensorflow/tfjs-layers';

export { BATCH_NORM_WEIGHTS, isBatchNormWeightName } from '@fedaln/protocol';

/**
 * The Keras names of every BatchNormalization weight of `model` (trainable or not), in layer order:
 * what FedBN keeps local.
 * @example batchNormWeightNames(model).slice(0, 2) // ['conv1_bn/gamma', 'conv1_bn/beta']
 */
export function batchNormWeightNames(model: tfl.LayersModel): string[] {
  return model.layers
    .filter((layer) => layer.getClassName() === 'BatchNormalization')
    .flatMap((layer) => layer.weights.map((w) => w.originalName));
}
