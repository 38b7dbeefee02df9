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
