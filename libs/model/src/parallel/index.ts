export { trainModelParallel, type ParallelTrainOptions } from './train-parallel';
