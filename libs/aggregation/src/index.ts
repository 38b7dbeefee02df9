export {
  StreamingFedAvg,
  type CheckedUpdate,
  type LayoutEntry,
  readTensor,
  type StreamingFedAvgOptions,
  type TensorSource,
  type UpdateTensor,
  type WeightedUpdate,
  type WeightTensor,
} from './streaming-fedavg';
export { type FoldThread } from './fold-worker-thread';
export {
  CLIPPED_SPAN_LOG2,
  clippedGridScale,
  GRID_LOG2,
  gridCap,
  gridRange,
  gridScale,
  gridStep,
  K_MAX,
  N_MAX,
  RANGE_LOG2,
  termWeight,
} from './grid';
export { UpdateRejected, type UpdateRejectedCode } from './update-rejected';
export { CoordinateRobustMean, type CoordinateRobustKind } from './coordinate-robust-mean';
export { scaledUpdate } from './scaled-update';
export {
  SCREENING_VERDICT_KINDS,
  screeningVerdicts,
  type ScreeningOptions,
  type ScreeningVerdict,
  type ScreeningVerdictKind,
  type TensorGroups,
} from './screening-verdicts';
export { screenUpdates, type RoundScreening, type UpdateStatistics } from './update-screening';
export {
  FEDADAM_DEFAULTS,
  fedAdamOptionsProblem,
  fedAdamStep,
  type FedAdamMoments,
  type FedAdamOptions,
} from './fedadam';
