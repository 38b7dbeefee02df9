/**
 * One FedAvg aggregation of a simulated round with the coordinator's own code: every site's
 * `delta = local − global` (`subtractWeights` of @fedaln/protocol, what `fedaln-site` uploads) folded
 * into a `StreamingFedAvg` weighted by its training-case count. The tensors aggregated are the
 * global's: pass a subset (FedBN: all but BatchNorm) and only those are read from the sites.
 */
import { StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { subtractWeights } from '@fedaln/protocol';

/** A site's trained weights and the number of cases it trained on. */
export interface LocalResult {
  readonly weights: readonly WeightTensor[];
  readonly nTrain: number;
}

/** The tensors of `weights` named in `like`, in `like`'s order. */
export function pickTensors(
  weights: readonly WeightTensor[],
  like: readonly { name: string }[],
): WeightTensor[] {
  const byName = new Map(weights.map((t) => [t.name, t]));
  return like.map(({ name }) => {
    const t = byName.get(name);
    if (!t) throw new Error(`weights have no tensor "${name}"`);
    return t;
  });
}

function folded<T>(
  global: readonly WeightTensor[],
  results: readonly LocalResult[],
  take: (fedavg: StreamingFedAvg) => T,
): T {
  const fedavg = new StreamingFedAvg(
    global.map(({ name, shape }) => ({ name, shape })),
    { global, thread: 'never' },
  );
  try {
    for (const r of results) fedavg.add(subtractWeights(pickTensors(r.weights, global), global), r.nTrain);
    return take(fedavg);
  } finally {
    fedavg.close();
  }
}

/**
 * global + Σ nᵢ·δᵢ / Σ nᵢ with δᵢ = localᵢ − global, over the tensors of `global`.
 * @example const next = fedAvgRound(global, [{ weights: a, nTrain: 120 }, { weights: b, nTrain: 80 }]);
 */
export function fedAvgRound(
  global: readonly WeightTensor[],
  results: readonly LocalResult[],
): WeightTensor[] {
  return folded(global, results, (f) => f.applyTo(global));
}

/**
 * The weighted mean delta Σ nᵢ·δᵢ / Σ nᵢ itself (FedAdam's pseudo-gradient).
 * @example const delta = fedAvgDelta(global, results);
 */
export function fedAvgDelta(
  global: readonly WeightTensor[],
  results: readonly LocalResult[],
): WeightTensor[] {
  return folded(global, results, (f) => f.result());
}
