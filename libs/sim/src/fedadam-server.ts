/**
 * The server side of FedAdam across a simulated study's rounds: the round's FedAvg mean delta is the
 * pseudo-gradient of `fedAdamStep` (@fedaln/aggregation; Reddi et al., ICLR 2021, Algorithm 2), with
 * the moments kept from round to round. BatchNorm moving statistics are not parameters a gradient
 * step applies to (an Adam step could make a variance negative): they take the FedAvg mean.
 */
import {
  fedAdamStep,
  type FedAdamMoments,
  type FedAdamOptions,
  type WeightTensor,
} from '@fedaln/aggregation';

const isStatistic = (name: string): boolean => /\/moving_(mean|variance)$/.test(name);

export class FedAdamServer {
  private readonly moments = new Map<string, FedAdamMoments<Float32Array>>();

  constructor(private readonly options: FedAdamOptions) {}

  /**
   * The next global model from `global` and the round's mean delta (same tensor order).
   * @example global = server.step(global, fedAvgDelta(global, results));
   */
  step(global: readonly WeightTensor[], meanDelta: readonly WeightTensor[]): WeightTensor[] {
    return global.map((t, k) => {
      const delta = meanDelta[k]!;
      if (delta.name !== t.name)
        throw new Error(`delta tensor ${k} is "${delta.name}", the global's "${t.name}"`);
      if (isStatistic(t.name)) {
        return { ...t, values: Float32Array.from(t.values, (v, i) => v + delta.values[i]!) };
      }
      const next = fedAdamStep(t.values, delta.values, this.moments.get(t.name) ?? null, this.options);
      this.moments.set(t.name, next.moments);
      return { ...t, values: next.global };
    });
  }
}
