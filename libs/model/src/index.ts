export * from './engine';
export * from './densenet/architectures';
export * from './densenet/build-model';
export * from './densenet/parameter-count';
export * from './densenet/seeded-initializers';
export * from './io/layers-format';
export * from './io/named-weights';
export * from './io/load-weights-by-name';
export * from './densenet/infer-architecture';
export * from './densenet/model-summary';
export * from './io/blob-conversion';
export * from './io/keras-names';
export * from './io/import-keras';
export * from './io/keras-weight-check';
export { Hdf5Error } from './io/hdf5-file';
export { KERAS_H5_LAYOUTS, type KerasH5Layout } from './io/keras-h5';
export * from './images/normalise';
export * from './images/decode';
export * from './images/source-image';
export * from './images/dicom/decode-dicom';
export * from './images/dicom/dicom-refusal';
export * from './images/dicom/transfer-syntax';
export { SUPPORTED_PHOTOMETRICS, type Pixels8 } from './images/dicom/photometric';
export * from './images/augment';
export * from './images/model-input';
export * from './data/site-images';
export * from './train/train-model';
export * from './train/scope';
export * from './train/loss';
export * from './predict';
export * from './kernels';
export * from './parallel';
export { installTrainingModes, type TrainingModes } from './train/layer-modes';
export { variableGradsLowMemory } from './train/low-memory-gradients';
export { ProximalTerm } from './train/proximal-term';
export { BATCH_NORM_WEIGHTS, batchNormWeightNames, isBatchNormWeightName } from './train/fedbn';
export { adaptBatchNorm } from './train/adabn';
export { recalibrateBatchNorm } from './train/batchnorm-recalibration';
export { cryptoDpRandomness, seededDpRandomness, type DpRandomness } from './train/dp-randomness';
export {
  clippedGradientSum,
  noisyGradients,
  type ClippedGradientSum,
  type NoiseSettings,
} from './train/dp-sgd';
export * from './train/train-dp-sgd';
