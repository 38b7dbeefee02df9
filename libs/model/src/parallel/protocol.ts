/**
 * Messages between {@link trainModelParallel} (train-parallel.ts) and its workers (train-worker.ts).
 * Tensors travel as Float32Arrays in {@link wireWeights} order, gradients in the
 * order of its trainable weights; buffers are transferred, not copied, where the sender drops them.
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
  /** The summed gradient: apply one Adam step. */
  | { type: 'apply'; grads: Float32Array[] }
  | { type: 'weights' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'grad'; loss: number; grads: Float32Array[] }
  | { type: 'applied' }
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
