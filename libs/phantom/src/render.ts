/**
 * Renders one case's B-mode image at the target size: anatomy and lesion as echogenicity (mm →
 * px), speckle through the site's PSF, posterior features and calcifications on the envelope,
 * residual depth attenuation after time-gain compensation, then log compression to 8 bits with the
 * site's gain and dynamic range: gray = 255·(20·log10(envelope) + gain + 0.6·DR)/DR, clamped
 * (gland, RMS envelope 1, sits at 60 % of the gray scale before gain). Before the mapping, the log
 * image is smoothed by a Gaussian of 0.65 axial PSF widths, as scanners' scan conversion and
 * speckle-reduction filtering do; without it the deep speckle nulls read as black worm-like lines.
 * At coarse pixels (64 px over 45 mm) a pixel spans several speckle cells, as a downsampled scan
 * would average them, so the smoothing never goes below {@link MIN_SMOOTHING_PX}. v2 renders the field
 * larger and crops a 30 mm region of interest centred on the mass ({@link pixelPitchMm}).
 */
import { drawAnatomy, FIELD_OF_VIEW_MM } from './anatomy';
import { detExp, detLog, detLog10 } from './detmath';
import type { LesionFeatures } from './features';
import { convolveAxis, gaussianKernel } from './field';
import { drawLesion, type LesionGeometry } from './lesion';
import { applyCalcifications, applyPosterior, paintLesion } from './lesion-paint';
import { Rng } from './prng';
import type { SiteProfile } from './site';
import type { PhantomVersion } from './version';
import { speckleEnvelope } from './speckle';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { max, min, round } = Math;

export const GEOMETRY_STREAM = 0x6e0;
export const PIXEL_STREAM = 0x91c;
export const MIN_SIZE_PX = 16;
export const MAX_SIZE_PX = 1024;
const MIN_SMOOTHING_PX = 0.7;
/**
 * v2 images are a 30 mm region of interest of the 45 mm field, centred on the mass (clamped to the
 * field), as CNN studies of breast ultrasound crop the tumour's region (e.g. Zheng et al., Nat Commun
 * 2020;11:1236, ALN status from the primary tumour's ultrasound): the lesion fills more pixels (0.94 mm
 * a pixel at 32 px instead of 1.4 mm) and the scale stays fixed, so size still shows.
 */
const ROI_MM: Record<PhantomVersion, number> = { 1: FIELD_OF_VIEW_MM, 2: 30 };

/** A rendered image, its lesion (mm in the whole field) and where the image sits in that field. */
export interface RenderedCase {
  pixels: Uint8Array;
  lesion: LesionGeometry;
  /** Pixel pitch (mm). */
  pxMm: number;
  /** Position (mm) of the image's top-left corner in the field of view: pixel (i, j) is centred at
   * (originMm.x + (i + 0.5)·pxMm, originMm.z + (j + 0.5)·pxMm). */
  originMm: { x: number; z: number };
}

/**
 * Grayscale size×size image (row-major, 0 = black) of case `caseIndex` with features `f` at `site`.
 * The lesion geometry depends on the case, not on `size`; speckle is drawn per size.
 * @example renderImage(siteProfile(1, 42), features, 0, 64).length // 4096
 */
export function renderImage(
  site: SiteProfile,
  f: LesionFeatures,
  caseIndex: number,
  size: number,
): Uint8Array {
  return renderWithGeometry(site, f, caseIndex, size).pixels;
}

/**
 * {@link renderImage} that also returns the lesion's geometry (mm), for tests and overlays.
 * @example renderWithGeometry(siteProfile(1, 42), features, 0, 64).lesion.cxMm // lesion centre, mm from the left
 */
export function renderWithGeometry(
  site: SiteProfile,
  f: LesionFeatures,
  caseIndex: number,
  size: number,
): RenderedCase {
  if (!Number.isInteger(size) || size < MIN_SIZE_PX || size > MAX_SIZE_PX)
    throw new Error(`image size ${size} must be an integer from ${MIN_SIZE_PX} to ${MAX_SIZE_PX} px`);
  const sceneSize = sceneSizeFor(site.version, size);
  if (sceneSize === size) return { ...renderScene(site, f, caseIndex, size), originMm: { x: 0, z: 0 } };
  const scene = renderScene(site, f, caseIndex, sceneSize);
  const corner = (centreMm: number) => min(sceneSize - size, max(0, round(centreMm / scene.pxMm - size / 2)));
  const [i0, j0] = [corner(scene.lesion.cxMm), corner(scene.lesion.czMm)];
  const pixels = new Uint8Array(size * size);
  for (let j = 0; j < size; j++)
    pixels.set(scene.pixels.subarray((j0 + j) * sceneSize + i0, (j0 + j) * sceneSize + i0 + size), j * size);
  return {
    pixels,
    lesion: scene.lesion,
    pxMm: scene.pxMm,
    originMm: { x: i0 * scene.pxMm, z: j0 * scene.pxMm },
  };
}

/** Pixels across the whole field for a size-px image: v2 renders it larger and crops its ROI. */
function sceneSizeFor(version: PhantomVersion, size: number): number {
  return version === 1 ? size : round((size * FIELD_OF_VIEW_MM) / ROI_MM[version]);
}

/**
 * The pixel pitch (mm) of a size-px image of generator `version` (v1: the 45 mm field; v2: its ROI).
 * @example pixelPitchMm(1, 64) // 45 / 64
 */
export function pixelPitchMm(version: PhantomVersion, size: number): number {
  return FIELD_OF_VIEW_MM / sceneSizeFor(version, size);
}

/** The whole field of view at size×size px. */
function renderScene(
  site: SiteProfile,
  f: LesionFeatures,
  caseIndex: number,
  size: number,
): { pixels: Uint8Array; lesion: LesionGeometry; pxMm: number } {
  const pxMm = FIELD_OF_VIEW_MM / size;
  const geo = Rng.fromSeed(site.seed, GEOMETRY_STREAM, site.index, caseIndex);
  const pix = Rng.fromSeed(site.seed, PIXEL_STREAM, site.index, caseIndex, size);
  const anatomy = drawAnatomy(size, pxMm, geo, pix);
  const lesion = drawLesion(f, anatomy.glandTopMm, anatomy.glandBottomMm, geo, site.version);
  paintLesion(anatomy.echo, lesion, pxMm, pix);
  const env = speckleEnvelope(anatomy.echo, pxMm, site.scanner, pix);
  applyPosterior(env, lesion, f.posterior, pxMm);
  applyCalcifications(env, lesion, pxMm);

  const { gainDb, dynamicRangeDb, tgcResidualDbPerCm, axialPsfMm, displayGamma, smoothingPsf } = site.scanner;
  let db: Float64Array = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    const depthGainDb = -tgcResidualDbPerCm * (((j + 0.5) * pxMm) / 10);
    for (let i = 0; i < size; i++) {
      const k = j * size + i;
      db[k] = 20 * detLog10(max(env.data[k]!, 1e-6)) + depthGainDb + gainDb;
    }
  }
  const kernel = gaussianKernel(max(MIN_SMOOTHING_PX, ((smoothingPsf ?? 0.65) * axialPsfMm) / pxMm));
  db = convolveAxis(convolveAxis(db, size, size, kernel, 0), size, size, kernel, 1);
  const out = new Uint8Array(size * size);
  for (let k = 0; k < out.length; k++) {
    // v1 maps linearly; v2 through its display curve level^γ (a deterministic pow: detExp/detLog).
    let gray: number;
    if (displayGamma === undefined) gray = round((255 * (db[k]! + 0.6 * dynamicRangeDb)) / dynamicRangeDb);
    else {
      const level = (db[k]! + 0.6 * dynamicRangeDb) / dynamicRangeDb;
      gray = level <= 0 ? 0 : round(255 * detExp(displayGamma * detLog(level)));
    }
    out[k] = gray < 0 ? 0 : gray > 255 ? 255 : gray;
  }
  return { pixels: out, lesion, pxMm };
}
