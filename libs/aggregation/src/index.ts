export { StreamingFedAvg, type LayoutEntry, type WeightTensor } from './streaming-fedavg';
export { K_MAX, N_MAX, T_MAX } from './two-limb-sum';
export { UpdateRejected, type UpdateRejectedCode } from './update-rejected';
