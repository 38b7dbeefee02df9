/**
 * Cases and sites: features and the ALN label from their own random stream (so labels can be
 * drawn without rendering), the image from geometry and pixel streams keyed by site and case.
 */
import { drawFeatures, type LesionFeatures } from './features';
import { alnRisk, drawLabel, labelModel } from './label-model';
import { Rng } from './prng';
import { readFeatures } from './reads';
import { renderImage } from './render';
import type { SiteProfile } from './site';

export const FEATURE_STREAM = 0xfea;
/** v2: the radiologist's read of each case, from its own stream (the true draws stay as in v1). */
export const READ_STREAM = 0x4ead;

export interface PhantomCaseRecord {
  /** `<site>-<number>` with the number 1-based and zero-padded to 4 digits, e.g. `site1-0001`. */
  caseId: string;
  /** 0-based index of the case within its site. */
  caseIndex: number;
  /** The lesion as generated: what the image shows and the label model acts on. */
  features: LesionFeatures;
  /**
   * What `labels.csv` reports: in v2 a radiologist's read of the lesion (reads.ts), in v1 the
   * generated features themselves.
   */
  read: LesionFeatures;
  /** Generating probability of ALN metastasis. */
  risk: number;
  /** 1 = ALN metastasis. */
  label: 0 | 1;
}

export interface PhantomCase extends PhantomCaseRecord {
  /** Grayscale image, row-major, size×size. */
  pixels: Uint8Array;
  size: number;
}

/** The `<site>-NNNN` id of case `caseIndex` (0-based). @example caseId(siteProfile(2, 1), 0) // 'site2-0001' */
export function caseId(site: SiteProfile, caseIndex: number): string {
  return `${site.name}-${String(caseIndex + 1).padStart(4, '0')}`;
}

/**
 * Features, risk and label of one case, without the image (fast: for label-model checks).
 * @example drawCase(siteProfile(1, 42), 0).label // 0 or 1
 */
export function drawCase(site: SiteProfile, caseIndex: number): PhantomCaseRecord {
  if (!Number.isInteger(caseIndex) || caseIndex < 0)
    throw new Error(`case index ${caseIndex} must be an integer ≥ 0`);
  const rng = Rng.fromSeed(site.seed, FEATURE_STREAM, site.index, caseIndex);
  const features = drawFeatures(site.mix, rng);
  const risk = alnRisk(features, site.logitOffset, labelModel(site.version));
  const label = drawLabel(risk, rng);
  const read =
    site.version === 2
      ? readFeatures(features, site.mix, Rng.fromSeed(site.seed, READ_STREAM, site.index, caseIndex))
      : features;
  return { caseId: caseId(site, caseIndex), caseIndex, features, read, risk, label };
}

/**
 * One case with its size×size image.
 * @example generateCase(siteProfile(1, 42), 0, 64).pixels.length // 4096
 */
export function generateCase(site: SiteProfile, caseIndex: number, size: number): PhantomCase {
  const record = drawCase(site, caseIndex);
  return { ...record, size, pixels: renderImage(site, record.features, caseIndex, size) };
}

/**
 * Cases 0…count−1 of a site; `onCase` (e.g. progress) is called after each.
 * @example generateSite(siteProfile(1, 42), 10, 64).length // 10
 */
export function generateSite(
  site: SiteProfile,
  count: number,
  size: number,
  onCase?: (done: number, total: number) => void,
): PhantomCase[] {
  const cases: PhantomCase[] = [];
  for (let i = 0; i < count; i++) {
    cases.push(generateCase(site, i, size));
    onCase?.(i + 1, count);
  }
  return cases;
}
