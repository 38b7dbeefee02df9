/**
 * Phantom v2: the radiologist's read of a lesion. `labels.csv` carries what a reader reports, not the
 * lesion the generator drew; the label model acts on the true lesion (label-model.ts), so the feature
 * columns predict metastasis less well than the image can, as in the clinic.
 *
 * Categorical descriptors, inter-observer κ of the BI-RADS ultrasound lexicon for breast masses:
 *   - orientation: κ ≈ 0.70 (Abdullah et al., Radiology 2009;252(3):665–672, 5 readers, 267 masses)
 *     and κ ≈ 0.61 (Park et al., Korean J Radiol 2007;8(5):397–402, 4 readers, 314 lesions): 0.655;
 *   - margin: κ ≈ 0.36 (Abdullah 2009) and 0.32 (Park 2007): 0.34; spiculation is read from the margin;
 *   - lesion boundary (abrupt interface vs echogenic halo): κ ≈ 0.48 (Abdullah 2009) and 0.55 (Park
 *     2007): 0.515;
 *   - shape: κ ≈ 0.64 (Abdullah 2009) and 0.42 (Park 2007): 0.53;
 *   - posterior acoustic features: κ ≈ 0.47 (Abdullah 2009) and 0.53 (Park 2007): 0.50.
 * Each reader reports the true category with probability r and otherwise a category drawn from the
 * site's case mix (the "correct or guess from the base rates" reader). Two such readers agree with
 * κ = r² whatever the categories' frequencies, and one agrees with the truth with κ = r, so r = √κ.
 * Calcification and lobulation are written as drawn (no risk weight; no κ taken).
 *
 * Size: the caliper longest diameter, true size × e^ε with ε ~ N(0, 0.12²), rounded to 0.1 mm. This
 * spread is the phantom's assumption, not a cited figure: two readers' log sizes then correlate at
 * 0.42²/(0.42² + 0.12²) ≈ 0.92 (ICC) over the cohort's size spread (features.ts).
 */
import { detExp } from './detmath';
import { MARGINS, POSTERIOR_FEATURES, SHAPES, type CaseMix, type LesionFeatures } from './features';
import type { Rng } from './prng';

/** Inter-observer κ per descriptor (see the file comment for the sources) and the size read's log SD. */
export const READER_AGREEMENT = Object.freeze({
  orientation: 0.655,
  margin: 0.34,
  echogenicHalo: 0.515,
  shape: 0.53,
  posterior: 0.5,
  sizeLogSd: 0.12,
});

/** Shape and posterior-feature frequencies a guessing reader draws from (features.ts's marginals). */
const SHAPE_BASE = [0.385, 0.145, 0.47] as const;
const POSTERIOR_BASE = [0.42, 0.26, 0.21, 0.11] as const;

/** Reported sizes are clamped to what a report would hold. */
const READ_SIZE_RANGE_MM = [3, 60] as const;

/**
 * One radiologist's read of lesion `f` at a site with case mix `mix`.
 * @example readFeatures(features, COHORT_MIX, Rng.fromSeed(1)).sizeMm // near features.sizeMm
 */
export function readFeatures(f: LesionFeatures, mix: CaseMix, rng: Rng): LesionFeatures {
  // Draw order is part of the phantom's reproducibility; append new draws at the end.
  const a = READER_AGREEMENT;
  const raw = f.sizeMm * detExp(a.sizeLogSd * rng.normal());
  const sizeMm = Math.min(READ_SIZE_RANGE_MM[1], Math.max(READ_SIZE_RANGE_MM[0], Math.round(raw * 10) / 10));
  const keep = (kappa: number) => rng.nextFloat() < Math.sqrt(kappa);
  const orientation = keep(a.orientation)
    ? f.orientation
    : rng.bernoulli(mix.pNonParallel)
      ? 'non-parallel'
      : 'parallel';
  const echogenicHalo = keep(a.echogenicHalo) ? f.echogenicHalo : rng.bernoulli(mix.pEchogenicHalo);
  const margin = keep(a.margin) ? f.margin : MARGINS[rng.categorical(mix.marginProbabilities)]!;
  const shape = keep(a.shape) ? f.shape : SHAPES[rng.categorical(SHAPE_BASE)]!;
  const posterior = keep(a.posterior) ? f.posterior : POSTERIOR_FEATURES[rng.categorical(POSTERIOR_BASE)]!;
  return { ...f, sizeMm, orientation, echogenicHalo, margin, shape, posterior };
}
