/**
 * The radiologist's ultrasound features of a breast lesion (BI-RADS lexicon: shape, orientation,
 * margin, echo pattern, posterior features, calcifications) plus one image-only factor, and the case
 * mix they are drawn from. Size, non-parallel orientation, echogenic halo and spiculation carry ALN
 * risk (see label-model.ts); the others are drawn conditionally on them so that, as in the clinic,
 * they are associated with metastasis without being independent risk factors.
 */
import type { Orientation } from '@fedaln/site-data';
import { detExp } from './detmath';
import type { Rng } from './prng';

export const SHAPES = ['oval', 'round', 'irregular'] as const;
export const MARGINS = ['circumscribed', 'indistinct', 'angular', 'microlobulated', 'spiculated'] as const;
export const POSTERIOR_FEATURES = ['none', 'enhancement', 'shadowing', 'combined'] as const;
export type Shape = (typeof SHAPES)[number];
export type Margin = (typeof MARGINS)[number];
export type PosteriorFeature = (typeof POSTERIOR_FEATURES)[number];

export interface LesionFeatures {
  /** Longest diameter in mm. */
  sizeMm: number;
  shape: Shape;
  /** `non-parallel` = taller than wide (long axis not parallel to the skin). */
  orientation: Orientation;
  margin: Margin;
  echogenicHalo: boolean;
  calcification: boolean;
  /** Macro-lobulated contour (2–4 gentle undulations). */
  lobulation: boolean;
  posterior: PosteriorFeature;
  /**
   * Internal heterogeneity, a standard-normal latent that the image shows (internal texture
   * contrast) but the radiologist's feature list does not record.
   */
  heterogeneity: number;
}

/** Where a site's cases come from: the distributions of the risk-bearing features. */
export interface CaseMix {
  /** Median lesion size (mm) of the log-normal size distribution. */
  sizeMedianMm: number;
  /** SD of ln(size). */
  sizeLogSd: number;
  pNonParallel: number;
  pEchogenicHalo: number;
  /** Probabilities of {@link MARGINS}, in that order. */
  marginProbabilities: readonly number[];
}

/** Limits of drawn sizes: sub-5 mm lesions are rarely biopsied; 50 mm fills the probe's field. */
export const SIZE_RANGE_MM = [5, 50] as const;

/**
 * The reference cohort the label model is tuned on (tools/tune.py copies these numbers): a median
 * invasive-cancer size near 19 mm, and feature frequencies typical of ultrasound series of invasive
 * breast cancer.
 */
export const COHORT_MIX: CaseMix = Object.freeze({
  sizeMedianMm: 19,
  sizeLogSd: 0.42,
  pNonParallel: 0.3,
  pEchogenicHalo: 0.28,
  marginProbabilities: Object.freeze([0.3, 0.25, 0.12, 0.13, 0.2]),
});

/**
 * Draws one lesion's features. The four risk features and the heterogeneity factor are mutually
 * independent (so tools/tune.py can solve the label model exactly); shape, lobulation, calcification
 * and posterior features depend on margin and size.
 * @example drawFeatures(COHORT_MIX, Rng.fromSeed(1)).sizeMm // e.g. 17.3
 */
export function drawFeatures(mix: CaseMix, rng: Rng): LesionFeatures {
  // Draw order is part of the phantom's reproducibility; append new draws at the end.
  const raw = mix.sizeMedianMm * detExp(mix.sizeLogSd * rng.normal());
  const sizeMm = Math.min(SIZE_RANGE_MM[1], Math.max(SIZE_RANGE_MM[0], Math.round(raw * 10) / 10));
  const orientation: Orientation = rng.bernoulli(mix.pNonParallel) ? 'non-parallel' : 'parallel';
  const echogenicHalo = rng.bernoulli(mix.pEchogenicHalo);
  const margin = MARGINS[rng.categorical(mix.marginProbabilities)]!;
  const heterogeneity = rng.normal();

  const circumscribed = margin === 'circumscribed';
  const shape = SHAPES[rng.categorical(circumscribed ? [0.7, 0.25, 0.05] : [0.25, 0.1, 0.65])]!;
  const lobulation = rng.bernoulli(margin === 'microlobulated' ? 0.5 : circumscribed ? 0.2 : 0.12);
  const calcification = rng.bernoulli(sizeMm > 20 ? 0.45 : 0.2);
  const posterior =
    POSTERIOR_FEATURES[
      rng.categorical(margin === 'spiculated' ? [0.3, 0.1, 0.45, 0.15] : [0.45, 0.3, 0.15, 0.1])
    ]!;
  return {
    sizeMm,
    shape,
    orientation,
    margin,
    echogenicHalo,
    calcification,
    lobulation,
    posterior,
    heterogeneity,
  };
}
