/**
 * One FedAvg aggregation of a simulated round with the coordinator's own code: every site's
 * `delta = local − global` (`subtractWeights` of @fedaln/protocol, what `fedaln-site` uploads) folded
 * into a `StreamingFedAvg` weighted by its training-case count, and applied to the global model.
 */
import { StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { subtractWeights } from '@fedaln/protocol';

/** A site's trained weights and the number of cases it trained on. */
export interface LocalResult {
  readonly weights: readonly WeightTensor[];
  readonly nTrain: number;
}

/**
 * global + Σ nᵢ·δᵢ / Σ nᵢ with δᵢ = localᵢ − global.
 * @example const next = fedAvgRound(global, [{ weights: a, nTrain: 120 }, { weights: b, nTrain: 80 }]);
 */
export function fedAvgRound(
  global: readonly WeightTensor[],
  results: readonly LocalResult[],
): WeightTensor[] {
  const fedavg = new StreamingFedAvg(
    global.map(({ name, shape }) => ({ name, shape })),
    { global, thread: 'never' },
  );
  try {
    for (const r of results) fedavg.add(subtractWeights(r.weights, global), r.nTrain);
    return fedavg.applyTo(global);
  } finally {
    fedavg.close();
  }
}
