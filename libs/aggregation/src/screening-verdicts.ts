import { medianOf } from './column-order';
import type { LayoutEntry } from './streaming-fedavg';
import type { RoundScreening, UpdateStatistics } from './update-screening';

/** What screening decides for an update, least to most severe. */
export const SCREENING_VERDICT_KINDS = ['accepted', 'clipped', 'down-weighted', 'rejected'] as const;
export type ScreeningVerdictKind = (typeof SCREENING_VERDICT_KINDS)[number];

/** The thresholds of {@link screeningVerdicts} (the study spec's `robustness`). */
export interface ScreeningOptions {
  /** c of the clip bound median‖δ‖ × c; 0 turns clipping off. */
  readonly clipFactor: number;
  /** An update whose cosine to the centre is below this is rejected (needs ≥ 3 updates). */
  readonly rejectCosine: number;
  /** An update whose cosine is below this (and not rejected) is down-weighted (needs ≥ 3 updates). */
  readonly downWeightCosine: number;
}

/**
 * Which tensors of the layout are data statistics rather than trained weights: BatchNorm moving mean
 * and variance, which a site re-estimates from its images whatever their labels. On the phantom
 * (densenet-tiny, bench/phantom-screening.ts) they are ~5× the norm of the trained tensors in an
 * honest update, so a whole-update clip bound is mostly theirs: a site that sign-flips its trained
 * tensors × 10 and sends honest statistics stayed under it (2.1× the median norm) and was accepted.
 * With groups, each group is clipped to its own round median × c.
 */
export interface TensorGroups {
  readonly isStatistic: (name: string) => boolean;
}

/** Below this many updates the median is no robust centre (it is the mean of two): no cosine verdicts. */
export const MIN_UPDATES_FOR_COSINE = 3;

/**
 * An update's cosine is judged only when it is also an outlier among the round's cosines: robust z
 * (cos − median) / (1.4826·MAD) below −3. Honest updates of small local datasets are nearly
 * orthogonal (pairwise cosines 0.03–0.13 on the phantom, densenet-tiny), so an absolute threshold
 * alone would flag them all.
 */
export const COSINE_OUTLIER_Z = -3;
/**
 * An update whose norm is this many robust z above the round's is an outlier too, whatever its
 * cosine's z (the cosines' own spread is wide when two of five updates are bad): measured on the
 * phantom (bench/phantom-screening.ts), a sign-flipped ×10 update had norm z 43–454 while honest
 * ones stayed within ±5.
 */
export const NORM_OUTLIER_Z = 10;
/** A floor on the cosines' spread (1.4826·MAD), so that a round of near-identical cosines does not flag noise. */
export const MIN_COSINE_SPREAD = 0.02;

/** MAD → standard deviation for normal data: 1/Φ⁻¹(3/4) ≈ 1.4826 (scipy median_abs_deviation(scale='normal')). */
const MAD_TO_SD = 1 / 0.6744897501960817;

/** One update's verdict with the numbers it rests on. */
export interface ScreeningVerdict {
  readonly verdict: ScreeningVerdictKind;
  /** Why, in words a lead can act on; '' for an accepted update. */
  readonly reason: string;
  readonly norm: number;
  /** (‖δ‖ − median) / (1.4826·MAD) over the round's norms; 0 when the MAD is 0 and the norm is the median. */
  readonly normZ: number;
  /** Cosine to the coordinate-wise median of the round's other updates; null when the round has < 3 updates. */
  readonly cosine: number | null;
  /** (cos − median cos) / max(1.4826·MAD, 0.02) over the round; null when the round has < 3 updates. */
  readonly cosineZ: number | null;
  /** median‖δ‖ × clip factor (∞ when clipping is off). */
  readonly clipBound: number;
  /**
   * ‖δ‖ over the trained tensors only (not the {@link TensorGroups} statistics); null without groups.
   */
  readonly trainedNorm: number | null;
  /** Cosine of the trained tensors alone to the others' median there; null without groups or < 3 updates. */
  readonly trainedCosine: number | null;
  /**
   * The factor the update is multiplied by before folding: 1, or the least of clipBound / ‖δ‖ and,
   * with groups, each group's median × c / its norm.
   */
  readonly scale: number;
  /** The factor its sample count is multiplied by (1, or cos / down-weight threshold; 0 when rejected). */
  readonly weight: number;
  /** The tensor whose norm is furthest above that tensor's median across the round, with the ratio. */
  readonly worstTensor: {
    readonly name: string;
    readonly norm: number;
    readonly ratioToMedian: number;
  } | null;
}

/**
 * Verdicts for a round's updates from {@link screenUpdates}' statistics, robust to a minority of bad
 * updates because every threshold is set from medians, not means:
 *
 * - **rejected**: a value is NaN/±∞; or, with ≥ 3 updates, cos(δ, c₋ᵢ) < `rejectCosine` and the
 *   update is an outlier of the round (its cosine's robust z < {@link COSINE_OUTLIER_Z}, or its
 *   norm's > {@link NORM_OUTLIER_Z}): it pushes against the others' centre — a sign-flipped
 *   update, say. With {@link TensorGroups}, also when its trained tensors' norm is beyond their own
 *   clip bound (their round median × `clipFactor`) and their cosine to the others' median there
 *   (`trainedCosine`, from `screenUpdates`' `trained` option) is below `rejectCosine`: a site that
 *   flips its trained tensors and sends honest BatchNorm statistics, which dominate the whole cosine.
 * - **down-weighted**: with ≥ 3 updates, an outlying cos < `downWeightCosine`; its sample count is
 *   multiplied by cos / downWeightCosine (an update unlike the others').
 * - **clipped**: ‖δ‖ > B = median‖δ‖ × `clipFactor` (norm clipping, as in DP-FedAvg and "centred
 *   clipping", Karimireddy et al. ICML 2021); the update is scaled by B / ‖δ‖ before it is folded.
 *   A down-weighted update is clipped too when its norm is beyond B.
 * - **accepted** otherwise.
 *
 * @example
 * const verdicts = screeningVerdicts(layout, screenUpdates(layout, updates), { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 });
 * verdicts.map((v) => v.verdict); // ['accepted', 'accepted', 'rejected']
 */
export function screeningVerdicts(
  layout: readonly LayoutEntry[],
  screening: RoundScreening,
  options: ScreeningOptions,
  groups?: TensorGroups,
): ScreeningVerdict[] {
  const stats = screening.updates;
  const finite = stats.filter((s) => s.nonFinite === null);
  const norms = finite.map((s) => s.norm);
  const medianNorm = norms.length > 0 ? medianOf(norms) : 0;
  const mad = norms.length > 0 ? medianOf(norms.map((r) => Math.abs(r - medianNorm))) * MAD_TO_SD : 0;
  const clipBound = options.clipFactor > 0 ? medianNorm * options.clipFactor : Infinity;
  const useCosine = stats.length >= MIN_UPDATES_FOR_COSINE;
  const cosines = finite.map((s) => s.cosine);
  const medianCos = cosines.length > 0 ? medianOf(cosines) : 0;
  const cosSpread = Math.max(
    MIN_COSINE_SPREAD,
    cosines.length > 0 ? medianOf(cosines.map((c) => Math.abs(c - medianCos))) * MAD_TO_SD : 0,
  );
  const tensorMedians = layout.map((_, k) =>
    finite.length > 0 ? medianOf(finite.map((s) => s.tensorNorms[k] as number)) : 0,
  );
  const groupClip = groupClipping(layout, finite, options.clipFactor, groups);

  return stats.map((s): ScreeningVerdict => {
    const normZ = mad > 0 ? (s.norm - medianNorm) / mad : s.norm === medianNorm ? 0 : Infinity;
    const worstTensor = worst(layout, s.tensorNorms, tensorMedians);
    const cosine = useCosine ? s.cosine : null;
    const cosineZ = useCosine ? (s.cosine - medianCos) / cosSpread : null;
    const outlier = cosineZ !== null && (cosineZ < COSINE_OUTLIER_Z || normZ > NORM_OUTLIER_Z);
    const trained = groupClip?.trained(s) ?? null;
    const trainedCosine = useCosine && trained ? s.trainedCosine : null;
    const base = {
      trainedCosine,
      norm: s.norm,
      normZ,
      cosine,
      cosineZ,
      clipBound,
      worstTensor,
      trainedNorm: trained?.norm ?? null,
    };
    if (s.nonFinite !== null) {
      const { tensor, index, value } = s.nonFinite;
      return {
        ...base,
        verdict: 'rejected',
        reason: `value ${value} at index ${index} of tensor ${tensor} is not finite`,
        scale: 0,
        weight: 0,
      };
    }
    if (
      trained &&
      trainedCosine !== null &&
      trained.norm > trained.bound &&
      trainedCosine < options.rejectCosine
    ) {
      return {
        ...base,
        verdict: 'rejected',
        reason: `its trained tensors' norm ${trained.norm.toPrecision(4)} is ${(trained.norm / trained.median).toPrecision(3)}× the round's median ${trained.median.toPrecision(4)} (clip bound × ${options.clipFactor}) and their cosine to the median of the other updates' is ${trainedCosine.toFixed(3)}, below the reject threshold ${options.rejectCosine}: it pushes the trained weights against the other sites'`,
        scale: 0,
        weight: 0,
      };
    }
    if (cosine !== null && outlier && cosine < options.rejectCosine) {
      return {
        ...base,
        verdict: 'rejected',
        reason: `cosine to the median of the other updates is ${cosine.toFixed(3)} (robust z ${(cosineZ as number).toFixed(1)} among the round's), below the reject threshold ${options.rejectCosine}: it pushes against the other sites' updates`,
        scale: 0,
        weight: 0,
      };
    }
    const whole = s.norm > clipBound ? clipBound / s.norm : 1;
    const byGroup = groupClip?.scale(s) ?? { scale: 1, text: '' };
    const scale = Math.min(whole, byGroup.scale);
    const clipped = scale < 1;
    const clipText =
      whole <= byGroup.scale
        ? `norm ${s.norm.toPrecision(4)} is ${(s.norm / medianNorm).toPrecision(3)}× the round's median ${medianNorm.toPrecision(4)}, above the clip bound ${clipBound.toPrecision(4)} (× ${options.clipFactor}): scaled by ${scale.toPrecision(4)}`
        : `${byGroup.text}: scaled by ${scale.toPrecision(4)}`;
    if (cosine !== null && outlier && cosine < options.downWeightCosine) {
      const weight = Math.max(0, cosine) / options.downWeightCosine;
      const reason = `cosine to the median of the other updates is ${cosine.toFixed(3)} (robust z ${(cosineZ as number).toFixed(1)} among the round's), below ${options.downWeightCosine}: its weight is multiplied by ${weight.toFixed(3)}`;
      return {
        ...base,
        verdict: 'down-weighted',
        reason: clipped ? `${reason}; ${clipText}` : reason,
        scale,
        weight,
      };
    }
    if (clipped) return { ...base, verdict: 'clipped', reason: clipText, scale, weight: 1 };
    return { ...base, verdict: 'accepted', reason: '', scale: 1, weight: 1 };
  });
}

interface GroupClipping {
  /** The update's norm over the trained tensors, the round's median of it and its clip bound. */
  trained(s: UpdateStatistics): { norm: number; median: number; bound: number };
  /** The least of each group's bound / norm (≤ 1), with the words for the group that binds. */
  scale(s: UpdateStatistics): { scale: number; text: string };
}

/**
 * Per group (trained tensors; data statistics) the round's median norm × c, from the per-tensor
 * norms the pass measured; null without groups, with clipping off, or when a group is empty.
 */
function groupClipping(
  layout: readonly LayoutEntry[],
  finite: readonly UpdateStatistics[],
  clipFactor: number,
  groups: TensorGroups | undefined,
): GroupClipping | null {
  if (!groups || clipFactor <= 0 || finite.length === 0) return null;
  const isStat = layout.map((e) => groups.isStatistic(e.name));
  if (isStat.every(Boolean) || !isStat.some(Boolean)) return null;
  const normOf = (s: UpdateStatistics, stat: boolean) =>
    Math.sqrt(isStat.reduce((a, v, k) => (v === stat ? a + (s.tensorNorms[k] as number) ** 2 : a), 0));
  const named = [
    { label: 'trained tensors', stat: false },
    { label: 'BatchNorm statistics', stat: true },
  ].map((g) => ({ ...g, median: medianOf(finite.map((s) => normOf(s, g.stat))) }));
  return {
    trained: (s) => {
      const median = (named[0] as (typeof named)[number]).median;
      return { norm: normOf(s, false), median, bound: median * clipFactor };
    },
    scale: (s) => {
      let best = { scale: 1, text: '' };
      for (const g of named) {
        const norm = normOf(s, g.stat);
        const bound = g.median * clipFactor;
        if (norm > bound && bound / norm < best.scale) {
          best = {
            scale: bound / norm,
            text: `norm of its ${g.label} ${norm.toPrecision(4)} is ${(norm / g.median).toPrecision(3)}× the round's median ${g.median.toPrecision(4)}, above their clip bound ${bound.toPrecision(4)} (× ${clipFactor})`,
          };
        }
      }
      return best;
    },
  };
}

function worst(
  layout: readonly LayoutEntry[],
  norms: Float64Array,
  medians: readonly number[],
): ScreeningVerdict['worstTensor'] {
  let best: ScreeningVerdict['worstTensor'] = null;
  layout.forEach((e, k) => {
    const m = medians[k] as number;
    const ratio = m > 0 ? (norms[k] as number) / m : (norms[k] as number) > 0 ? Infinity : 1;
    if (best === null || ratio > best.ratioToMedian)
      best = { name: e.name, norm: norms[k] as number, ratioToMedian: ratio };
  });
  return best;
}
