import {
  CoordinateRobustMean,
  scaledUpdate,
  screeningVerdicts,
  screenUpdates,
  StreamingFedAvg,
  type LayoutEntry,
  type ScreeningVerdict as LibVerdict,
  type TensorGroups,
  type UpdateTensor,
  type WeightTensor,
} from '@fedaln/aggregation';
import { randomInt } from 'node:crypto';
import { isBatchNormStatisticName } from '@fedaln/protocol';
import type { UpdateScreening } from '../domain/records';
import type { RoundPlan } from './round-plan';

/**
 * The robust centre and the cosines are measured on about this many coordinates (all of a smaller
 * model): a median is a sort per coordinate, and on a 20M-parameter DenseNet201 a 1-in-19 sample
 * with unpredictable starts keeps screening near the cost of the fold (bench/robust-aggregation.ts).
 */
export const CENTRE_COORDINATES = 1 << 20;

/**
 * BatchNorm moving mean and variance are screened as their own group: they are re-estimated from a
 * site's images whatever its labels and dominate an honest update's norm, so a whole-update clip bound
 * alone would let a site scale its trained tensors many times over (`TensorGroups`).
 */
const BATCH_NORM_STATISTICS: TensorGroups = { isStatistic: isBatchNormStatisticName };

/** Uniform [0, 1) from the OS's CSPRNG: a site cannot predict which coordinates are sampled. */
const unpredictable = (): number => randomInt(2 ** 47) / 2 ** 47;

/** A persisted update of the round, opened for reading from the blob store. */
export interface StoredUpdate {
  readonly siteId: string;
  readonly nTrain: number;
  readonly tensors: readonly UpdateTensor[];
}

/** The combined round: writes global + δ̄ chunk by chunk (the `applyChunk` of either aggregator). */
export interface CombinedRound {
  readonly applyChunk: (k: number, from: number, out: Float32Array, global: Float32Array) => void;
  /** Per site, what screening decided (every site of the round, kept or not). */
  readonly screening: ReadonlyMap<string, UpdateScreening>;
  close(): void;
}

/**
 * Screening left fewer updates than the study's `min_sites`: the round cannot make a model the
 * study would trust. The lead sees the verdicts and decides (README "Threat model").
 */
export class QuorumLostToScreening extends Error {
  constructor(
    readonly kept: number,
    readonly minSites: number,
    readonly screening: ReadonlyMap<string, UpdateScreening>,
  ) {
    const why = [...screening]
      .filter(([, s]) => s.verdict === 'rejected' || s.weight === 0)
      .map(([site, s]) => `site ${site}: ${s.reason}`)
      .join('; ');
    super(`screening kept ${kept} update(s), the study needs ${minSites}: ${why}`);
    this.name = 'QuorumLostToScreening';
  }
}

/**
 * Screens a round's stored updates and combines those kept, as the study's plan says (issue 13):
 *
 * 1. one streaming pass of `screenUpdates` (norms over every coordinate; cosine to the
 *    coordinate-wise median on ~1M sampled coordinates, {@link CENTRE_COORDINATES}), and a verdict
 *    per update (`screeningVerdicts`); with screening off every update is accepted;
 * 2. rejected updates are left out; clipped ones are scaled to the clip bound as they are read;
 *    down-weighted ones fold with n·weight samples (left out when that rounds to 0);
 * 3. FedAvg folds the kept updates (`StreamingFedAvg`, each within its share of the range: an
 *    update the fold still refuses is rejected with the fold's reason), or the coordinate-wise
 *    median / trimmed mean is taken over them (`CoordinateRobustMean`, unweighted).
 *
 * Throws {@link QuorumLostToScreening} when fewer than `min_sites` updates are kept. Memory: the
 * FedAvg accumulator (8 bytes per parameter) or K × chunk floats; updates are read, never held.
 *
 * @example
 * const round = combineScreened(layout, global, [{ siteId: 'a', nTrain: 120, tensors: reader.tensors }, …], plan);
 * round.screening.get('c'); // { verdict: 'rejected', reason: "cosine to the median of the other updates is -0.83 …", … }
 */
export function combineScreened(
  layout: readonly LayoutEntry[],
  global: readonly WeightTensor[],
  updates: readonly StoredUpdate[],
  plan: RoundPlan,
): CombinedRound {
  const verdicts: LibVerdict[] =
    plan.screening === null
      ? updates.map(() => unscreened())
      : screeningVerdicts(
          layout,
          screenUpdates(
            layout,
            updates.map((u) => u.tensors),
            {
              sampleEvery: sampleEveryFor(layout),
              random: unpredictable,
              trained: (name) => !isBatchNormStatisticName(name),
            },
          ),
          plan.screening,
          BATCH_NORM_STATISTICS,
        );
  const screening = new Map(updates.map((u, i) => [u.siteId, toScreening(verdicts[i] as LibVerdict)]));
  const keep = updates
    .map((u, i) => ({ u, v: verdicts[i] as LibVerdict }))
    .filter(({ v }) => v.verdict !== 'rejected')
    .map(({ u, v }) => ({ u, tensors: scaledUpdate(u.tensors, v.scale), n: Math.round(u.nTrain * v.weight) }))
    .filter((k) => k.n >= 1);

  if (plan.aggregator === 'fedavg') {
    const fedavg = new StreamingFedAvg(layout, { global, shares: plan.shares, scale: plan.gridScale });
    const outcome =
      keep.length > 0 ? fedavg.addAll(keep.map((k) => ({ update: k.tensors, nSamples: k.n }))) : [];
    outcome.forEach((failure, i) => {
      if (!failure) return;
      const site = (keep[i] as (typeof keep)[number]).u.siteId;
      const before = screening.get(site) as UpdateScreening;
      screening.set(site, {
        ...before,
        verdict: 'rejected',
        reason: `the fold refused it: ${failure.message}`,
        weight: 0,
      });
    });
    const kept = fedavg.count;
    if (kept < plan.minSites) {
      fedavg.close();
      throw new QuorumLostToScreening(kept, plan.minSites, screening);
    }
    return {
      applyChunk: (k, from, out, g) => fedavg.applyChunk(k, from, out, g),
      screening,
      close: () => fedavg.close(),
    };
  }
  if (keep.length < plan.minSites) throw new QuorumLostToScreening(keep.length, plan.minSites, screening);
  const robust = new CoordinateRobustMean(
    layout,
    keep.map((k) => k.tensors),
    { kind: plan.aggregator === 'median' ? 'median' : 'trimmed-mean', beta: plan.trimBeta },
  );
  return {
    applyChunk: (k, from, out, g) => robust.applyChunk(k, from, out, g),
    screening,
    close: () => undefined,
  };
}

/** One coordinate in s so that about {@link CENTRE_COORDINATES} are sampled. */
export function sampleEveryFor(layout: readonly LayoutEntry[]): number {
  const params = layout.reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0);
  return Math.max(1, Math.floor(params / CENTRE_COORDINATES));
}

function unscreened(): LibVerdict {
  return {
    verdict: 'accepted',
    reason: 'screening is off for this study',
    norm: NaN,
    normZ: NaN,
    cosine: null,
    cosineZ: null,
    clipBound: Infinity,
    scale: 1,
    weight: 1,
    worstTensor: null,
    trainedNorm: null,
    trainedCosine: null,
  };
}

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/** The lib's verdict as the coordinator stores and shows it (no NaN/∞: JSON has none). */
function toScreening(v: LibVerdict): UpdateScreening {
  return {
    verdict: v.verdict,
    reason: v.reason,
    norm: finiteOrNull(v.norm),
    normZ: finiteOrNull(v.normZ),
    cosine: finiteOrNull(v.cosine),
    cosineZ: finiteOrNull(v.cosineZ),
    clipBound: finiteOrNull(v.clipBound),
    scale: v.scale,
    weight: v.weight,
    worstTensor: v.worstTensor && {
      ...v.worstTensor,
      ratioToMedian: finiteOrNull(v.worstTensor.ratioToMedian),
    },
    trainedNorm: finiteOrNull(v.trainedNorm),
    trainedCosine: finiteOrNull(v.trainedCosine),
  };
}
