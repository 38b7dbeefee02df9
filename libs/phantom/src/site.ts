/**
 * Site profiles: what makes hospitals non-IID. Each site has its own scanner (gain, dynamic range,
 * centre frequency and hence speckle grain, depth-gain compensation) and its own case mix (size
 * distribution, feature frequencies) and baseline ALN odds (prevalence).
 */
import { detExp } from './detmath';
import { COHORT_MIX, type CaseMix } from './features';
import { Rng } from './prng';

export interface ScannerSettings {
  /** Display gain added before log compression (dB). */
  gainDb: number;
  /** Dynamic range of the log compression to 8 bits (dB). */
  dynamicRangeDb: number;
  /** Transducer centre frequency (MHz); sets the pulse's carrier and its length. */
  centreFrequencyMHz: number;
  /** Gaussian SD of the point-spread function's axial envelope (mm). */
  axialPsfMm: number;
  /** Gaussian SD of the lateral beam profile (mm). */
  lateralPsfMm: number;
  /** Attenuation left after time-gain compensation (dB/cm, one way; >0 darkens with depth). */
  tgcResidualDbPerCm: number;
}

export interface SiteProfile {
  /** Site number, 1-based; names the folder `site<index>`. */
  index: number;
  name: string;
  /** Seed of everything this site generates. */
  seed: number;
  scanner: ScannerSettings;
  mix: CaseMix;
  /** Shift of the label model's intercept (log-odds) for this site's referral pattern. */
  logitOffset: number;
}

const SITE_STREAM = 0x517e;

/**
 * The speckle grain of a displayed B-mode image: axial SD ≈ 1.6 wavelengths of a 1540 m/s pulse
 * (λ = 1.54 mm / f[MHz]), lateral 1.6–2.6× wider, as the beam is wider than the pulse is long
 * (Szabo, "Diagnostic Ultrasound Imaging", 2nd ed., ch. 6–7).
 */
function psfFor(centreFrequencyMHz: number, lateralFactor: number): { axial: number; lateral: number } {
  const axial = (1.6 * 1.54) / centreFrequencyMHz;
  return { axial, lateral: axial * lateralFactor };
}

/**
 * Profile of site `index` (1-based) in a federation seeded by `seed`.
 * @example siteProfile(1, 42).name // 'site1'
 */
export function siteProfile(index: number, seed: number): SiteProfile {
  if (!Number.isInteger(index) || index < 1) throw new Error(`site index ${index} must be an integer ≥ 1`);
  const rng = Rng.fromSeed(seed, SITE_STREAM, index);
  const centreFrequencyMHz = Math.round(rng.between(7, 15) * 10) / 10;
  const psf = psfFor(centreFrequencyMHz, rng.between(1.6, 2.6));
  const scanner: ScannerSettings = {
    gainDb: rng.between(-4, 4),
    dynamicRangeDb: rng.between(45, 65),
    centreFrequencyMHz,
    axialPsfMm: psf.axial,
    lateralPsfMm: psf.lateral,
    tgcResidualDbPerCm: rng.between(-0.8, 0.8),
  };
  const mix: CaseMix = {
    sizeMedianMm: COHORT_MIX.sizeMedianMm * detExp(0.2 * rng.normal()),
    sizeLogSd: COHORT_MIX.sizeLogSd * rng.between(0.85, 1.15),
    pNonParallel: COHORT_MIX.pNonParallel * rng.between(0.7, 1.3),
    pEchogenicHalo: COHORT_MIX.pEchogenicHalo * rng.between(0.7, 1.3),
    marginProbabilities: COHORT_MIX.marginProbabilities.map((p) => p * rng.between(0.75, 1.25)),
  };
  return { index, name: `site${index}`, seed, scanner, mix, logitOffset: rng.between(-0.6, 0.6) };
}

/**
 * The reference cohort as a site: the study's case mix ({@link COHORT_MIX}) and baseline odds (no
 * shift), on site 1's scanner. The label model is tuned on it.
 * @example cohortProfile(7).logitOffset // 0
 */
export function cohortProfile(seed: number): SiteProfile {
  return { ...siteProfile(1, seed), name: 'cohort', mix: COHORT_MIX, logitOffset: 0 };
}
