/**
 * Site profiles: what makes hospitals non-IID. Each site has its own scanner (gain, dynamic range,
 * centre frequency and hence speckle grain, depth-gain compensation) and its own case mix (size
 * distribution, feature frequencies) and baseline ALN odds (prevalence).
 */
import { detExp } from './detmath';
import { COHORT_MIX, type CaseMix } from './features';
import { Rng } from './prng';
import { DEFAULT_PHANTOM_VERSION, phantomVersion, type PhantomVersion } from './version';

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
  /**
   * v2 only: exponent of the display map (gray = 255·t^γ, t the log-compressed level in [0, 1]);
   * vendors' grayscale curves differ. Absent (v1): linear.
   */
  displayGamma?: number;
  /** v2 only: SD of the scan-conversion smoothing in axial PSF widths (v1: 0.65 for every site). */
  smoothingPsf?: number;
}

export interface SiteProfile {
  /** Generator version (version.ts): v1 files stay byte-identical; v2 is the seed's regime. */
  version: PhantomVersion;
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
/** v2 draws its sites from their own stream, so v1's sites are untouched. */
const SITE_STREAM_V2 = 0x517e2;

/**
 * The speckle grain of a displayed B-mode image: axial SD ≈ 1.6 wavelengths of a 1540 m/s pulse
 * (λ = 1.54 mm / f[MHz]), lateral 1.6–2.6× wider, as the beam is wider than the pulse is long
 * (Szabo, "Diagnostic Ultrasound Imaging", 2nd ed., ch. 6–7).
 */
function psfFor(centreFrequencyMHz: number, lateralFactor: number): { axial: number; lateral: number } {
  const axial = (1.6 * 1.54) / centreFrequencyMHz;
  return { axial, lateral: axial * lateralFactor };
}

/** Ranges a version draws its scanners from (uniform; γ = e^u for u in `logGamma`). */
interface ScannerRanges {
  frequencyMHz: readonly [number, number];
  gainDb: readonly [number, number];
  dynamicRangeDb: readonly [number, number];
  tgcDbPerCm: number;
  logGamma?: readonly [number, number];
  smoothingPsf?: readonly [number, number];
}

/**
 * v1: gain ±4 dB, dynamic range 45–65 dB, 7–15 MHz, ±0.8 dB/cm. v2: scanners that differ more, as a
 * consortium's hospitals do (vendors and presets): gain ±4 dB, dynamic range 48–66 dB, 6–15 MHz,
 * ±0.8 dB/cm, and besides v1's a display curve γ 0.85–1.18 and scan-conversion smoothing 0.5–0.9 PSF
 * widths. (Wider ranges — gain ±6–8 dB, dynamic range 40–75 dB, γ 0.7–1.4 — swamped the lesion: a
 * CNN trained on three sites fell below the reads on new sites' scanners, tools/cnn_reference.py.)
 */
const SCANNER_RANGES: Record<PhantomVersion, ScannerRanges> = {
  1: { frequencyMHz: [7, 15], gainDb: [-4, 4], dynamicRangeDb: [45, 65], tgcDbPerCm: 0.8 },
  2: {
    frequencyMHz: [6, 15],
    gainDb: [-4, 4],
    dynamicRangeDb: [48, 66],
    tgcDbPerCm: 0.8,
    logGamma: [-0.16, 0.17],
    smoothingPsf: [0.5, 0.9],
  },
};

/**
 * Profile of site `index` (1-based) in a federation seeded by `seed`, for generator `version` (v2
 * draws from its own stream, so v1's sites are untouched).
 * @example siteProfile(1, 42).name // 'site1'
 */
export function siteProfile(
  index: number,
  seed: number,
  version: PhantomVersion = DEFAULT_PHANTOM_VERSION,
): SiteProfile {
  if (!Number.isInteger(index) || index < 1) throw new Error(`site index ${index} must be an integer ≥ 1`);
  const r = SCANNER_RANGES[phantomVersion(version)];
  const rng = Rng.fromSeed(seed, version === 2 ? SITE_STREAM_V2 : SITE_STREAM, index);
  // Draw order is part of the phantom's reproducibility.
  const centreFrequencyMHz = Math.round(rng.between(...r.frequencyMHz) * 10) / 10;
  const psf = psfFor(centreFrequencyMHz, rng.between(1.6, 2.6));
  const scanner: ScannerSettings = {
    gainDb: rng.between(...r.gainDb),
    dynamicRangeDb: rng.between(...r.dynamicRangeDb),
    centreFrequencyMHz,
    axialPsfMm: psf.axial,
    lateralPsfMm: psf.lateral,
    tgcResidualDbPerCm: rng.between(-r.tgcDbPerCm, r.tgcDbPerCm),
  };
  if (r.logGamma) scanner.displayGamma = detExp(rng.between(...r.logGamma));
  if (r.smoothingPsf) scanner.smoothingPsf = rng.between(...r.smoothingPsf);
  const mix: CaseMix = {
    sizeMedianMm: COHORT_MIX.sizeMedianMm * detExp(0.2 * rng.normal()),
    sizeLogSd: COHORT_MIX.sizeLogSd * rng.between(0.85, 1.15),
    pNonParallel: COHORT_MIX.pNonParallel * rng.between(0.7, 1.3),
    pEchogenicHalo: COHORT_MIX.pEchogenicHalo * rng.between(0.7, 1.3),
    marginProbabilities: COHORT_MIX.marginProbabilities.map((p) => p * rng.between(0.75, 1.25)),
  };
  return { version, index, name: `site${index}`, seed, scanner, mix, logitOffset: rng.between(-0.6, 0.6) };
}

/**
 * The reference cohort as a site: the study's case mix ({@link COHORT_MIX}) and baseline odds (no
 * shift), on site 1's scanner. The label model is tuned on it.
 * @example cohortProfile(7).logitOffset // 0
 */
export function cohortProfile(seed: number, version: PhantomVersion = DEFAULT_PHANTOM_VERSION): SiteProfile {
  return { ...siteProfile(1, seed, version), name: 'cohort', mix: COHORT_MIX, logitOffset: 0 };
}
