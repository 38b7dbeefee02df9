import { fedAdamStep, type WeightTensor } from '@fedaln/aggregation';
import { encodeBlob, isBatchNormWeightName, type NamedTensor } from '@fedaln/protocol';
import type { ResolvedStrategy } from '../domain/study-spec';
import { decodeUpdate } from './update-decoder';

/** Writes base + δ̄ (the round's combined update) into `out`: the `applyChunk` of either aggregator. */
export type MeanChunk = (k: number, from: number, out: Float32Array, base: Float32Array) => void;

/**
 * What a study's strategy makes of the round's combined update δ̄ (README "Strategies"), chunk by
 * chunk: FedAvg, FedProx and FedBN take global + δ̄ (FedBN's BatchNorm tensors arrive as zeros,
 * {@link sharedTensors}); FedAdam applies the server optimizer to δ̄ (@fedaln/aggregation fedadam.ts),
 * its moments read from the previous version's state blob and the new ones stored with the new version.
 */
export interface ServerStep {
  chunk(k: number, from: number, out: Float32Array, global: Float32Array, mean: MeanChunk): void;
  /** The state after the step as a blob to store (FedAdam), or null. */
  state(): Uint8Array | null;
}

const PLAIN: ServerStep = {
  chunk: (k, from, out, global, mean) => mean(k, from, out, global),
  state: () => null,
};

/**
 * The server step of `strategy` for a round whose base model is `global`; `previousState` is the
 * state blob stored with the base model (null at the first round).
 * @example const step = serverStepOf(strategy, global, stateBytes); // then step.chunk(…) per chunk
 */
export function serverStepOf(
  strategy: ResolvedStrategy,
  global: readonly WeightTensor[],
  previousState: Uint8Array | null,
): ServerStep {
  if (strategy.name !== 'fedadam') return PLAIN;
  const previous = previousState ? momentsOf(decodeUpdate(previousState), global) : null;
  const m = global.map((t) => new Float32Array(t.values.length));
  const v = global.map((t) => new Float32Array(t.values.length));
  return {
    chunk(k, from, out, weights, mean) {
      // 0 + δ̄: the combined update itself, rounded once to float32 as FedAvg's global + δ̄ is.
      mean(k, from, out, new Float32Array(out.length));
      const slice = (a: Float32Array) => a.subarray(from, from + out.length);
      const prior = previous && { m: slice(previous.m[k]!), v: slice(previous.v[k]!) };
      const step = fedAdamStep(weights, out, prior, strategy.adam);
      out.set(step.global);
      m[k]!.set(step.moments.m, from);
      v[k]!.set(step.moments.v, from);
    },
    state() {
      const named = (prefix: string, values: Float32Array[]): NamedTensor[] =>
        global.map((t, k) => ({ name: `${prefix}/${t.name}`, shape: [...t.shape], values: values[k]! }));
      return encodeBlob([...named('m', m), ...named('v', v)], { encoding: 'f32' }).bytes;
    },
  };
}

/** The m/ and v/ tensors of a state blob in the order of `global`; throws naming a missing one. */
function momentsOf(state: readonly WeightTensor[], global: readonly WeightTensor[]) {
  const byName = new Map(state.map((t) => [t.name, t.values]));
  const pick = (prefix: string) =>
    global.map((t) => {
      const values = byName.get(`${prefix}/${t.name}`);
      if (values?.length !== t.values.length)
        throw new Error(`FedAdam state has no ${prefix}/${t.name} of ${t.values.length} values`);
      return values;
    });
  return { m: pick('m'), v: pick('v') };
}

/**
 * An update's tensors as the study's strategy combines them: FedBN's BatchNorm tensors read as zeros
 * (they stay at the sites, so a site cannot move the global's, and screening and the mean see the same
 * zeros); every other strategy's as sent.
 */
export function sharedTensors<T extends { readonly name: string; readonly shape: readonly number[] }>(
  strategy: ResolvedStrategy,
  tensors: readonly T[],
): readonly (T | { name: string; shape: readonly number[]; read(from: number, into: Float32Array): void })[] {
  if (strategy.name !== 'fedbn') return tensors;
  return tensors.map((t) =>
    isBatchNormWeightName(t.name)
      ? { name: t.name, shape: t.shape, read: (_: number, into: Float32Array) => into.fill(0) }
      : t,
  );
}
