export {
  StreamingFedAvg,
  type CheckedUpdate,
  type LayoutEntry,
  type StreamingFedAvgOptions,
  type TensorSource,
  type UpdateTensor,
  type WeightedUpdate,
  type WeightTensor,
} from './streaming-fedavg';
export { type FoldThread } from './fold-worker-thread';
export { GRID_LOG2, gridScale, K_MAX, N_MAX, RANGE_LOG2 } from './grid';
export { UpdateRejected, type UpdateRejectedCode } from './update-rejected';
export { CoordinateRobustMean, type CoordinateRobustKind } from './coordinate-robust-mean';
export { scaledUpdate } from './scaled-update';
export {
  SCREENING_VERDICT_KINDS,
  screeningVerdicts,
  type ScreeningOptions,
  type ScreeningVerdict,
  type ScreeningVerdictKind,
} from './screening-verdicts';
export { screenUpdates, type RoundScreening, type UpdateStatistics } from './update-screening';
