/**
 * Parts of `@fedaln/model` its index does not export yet (libs/model/src/index.ts lists engine,
 * densenet and io only): the site-folder reader, the training loop, batched prediction and image
 * decoding. Imported from the built package by path, in this one file, so the day the index exports
 * them only these lines change.
 */
export {
  readSiteFolder,
  type BadRow,
  type SiteCase,
  type SiteFolder,
} from '@fedaln/model/dist/data/site-folder';
export { trainModel, type BatchProgress } from '@fedaln/model/dist/train/train-model';
export { predictProbabilities } from '@fedaln/model/dist/predict';
export { loadImage } from '@fedaln/model/dist/images/decode';
export { modelInputSize } from '@fedaln/model/dist/images/model-input';
