/**
 * Messages between {@link trainModelParallel} (train-parallel.ts) and its workers (train-worker.ts).
 * Weights travel as Float32Arrays in {@link wireWeights} order (transferred, not copied, where the
 * sender drops them); gradients and the trainable weights of every step go through shared memory.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EngineName } from '../engine';
import type { TrainableScope } from '../train/scope';

export type ToWorker =
  | {
      type: 'init';
      engine: EngineName;
      /** `model.toJSON(null, false)`: the topology tfjs-layers rebuilds with `modelFromJSON`. */
      topology: object;
      weights: Float32Array[];
      scope: TrainableScope;
      seed: number;
      learningRate: number;
      /** This worker's index, of `workers`: its gradient slot and its shard of Adam (shared-adam.ts). */
      index: number;
      workers: number;
      /** `workers` gradient slots of P float32 values each (P: trainable values, variable order). */
      sharedGrads: SharedArrayBuffer;
      /** The P trainable values, updated by the workers' Adam shards and loaded by every worker. */
      sharedWeights: SharedArrayBuffer;
    }
  /**
   * Gradient of this shard's share of the batch loss (mean loss over the shard × rows / batchRows),
   * accumulated over micro-batches of at most `microBatch` rows.
   */
  | {
      type: 'grad';
      step: number;
      x: Float32Array;
      y: Float32Array;
      w: Float32Array;
      batchRows: number;
      microBatch: number;
    }
  /** Every slot is written: sum them and apply Adam to this worker's shard of the shared weights. */
  | { type: 'apply' }
  /** Every shard is updated: load the shared weights into the model. */
  | { type: 'load' }
  | { type: 'weights' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  /** The gradient is in this worker's slot of the shared buffer. */
  | { type: 'grad'; loss: number }
  | { type: 'applied' }
  | { type: 'loaded' }
  | { type: 'weights'; weights: Float32Array[] }
  | { type: 'error'; message: string };

/**
 * The weights in wire order: layer by layer, each layer's own order. `model.weights` puts all
 * trainable weights first, so its order changes with the trainable scope; this one does not.
 * @example wireWeights(model).length === model.weights.length
 */
export function wireWeights(model: tfl.LayersModel): tfl.LayerVariable[] {
  return model.layers.flatMap((layer) => layer.weights);
}
