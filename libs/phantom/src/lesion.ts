/**
 * Lesion geometry in mm, drawn from its features so each one shows in the image (BI-RADS US
 * lexicon, ACR 2013): size and orientation set the semi-axes (non-parallel = taller than wide);
 * shape and lobulation set low-frequency contour harmonics; margin sets the boundary — sharp
 * (circumscribed), blurred (indistinct), polygonal corners (angular), small scallops
 * (microlobulated) or radial lines (spiculated); an echogenic halo is a bright rim outside the
 * boundary; calcifications are bright foci inside.
 */
import { detAtan2, detCos, detExp, PI } from './detmath';
import { FIELD_OF_VIEW_MM } from './anatomy';
import type { LesionFeatures } from './features';
import type { Rng } from './prng';
import type { PhantomVersion } from './version';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { abs, max, min, sqrt } = Math;

interface Harmonic {
  k: number;
  amp: number;
  phase: number;
}

export interface LesionGeometry {
  cxMm: number;
  czMm: number;
  /** Lateral and axial semi-axes (mm). */
  a: number;
  b: number;
  harmonics: Harmonic[];
  /** |cos| scallops: microlobulation (many, small) and macro-lobulation (few, larger). */
  scallops: Harmonic[];
  /** Polygonal outline for angular margins: n corners at `phase`. */
  polygon: { n: number; phase: number } | null;
  /** Logistic width of the boundary (mm): ~0.15 sharp, ~1.2 indistinct. */
  edgeMm: number;
  spicules: { angle: number; lengthMm: number; widthMm: number }[];
  /** Thickness of the echogenic halo (mm); 0 without. */
  haloMm: number;
  calcifications: { xMm: number; zMm: number; radiusMm: number }[];
  /** Mean echogenicity inside (gland = 1). */
  echo: number;
  /** SD of the log-echogenicity texture inside: the visible face of `heterogeneity`. */
  textureContrast: number;
  /** Correlation length of that texture (mm). */
  textureMm: number;
  /** Echogenicity of the halo's rim (gland = 1). */
  haloEcho: number;
  /** Echogenicity of the spicules' echogenic sheath (gland = 1). */
  sheathEcho: number;
  /** v2: fraction of the amplitude shadowed below the mass by the image-only factor (0: none; v1 always 0). */
  shadow: number;
}

/** How large each feature is drawn: v1 as always; v2 large enough to read at 32 px of its 30 mm ROI (0.94 mm a pixel). */
interface LesionStyle {
  parallelAspect: readonly [number, number];
  nonParallelWidth: readonly [number, number];
  spiculeCount: readonly [number, number];
  spiculeLengthMm: readonly [number, number];
  spiculeLengthPerHalf: number;
  spiculeWidthMm: readonly [number, number];
  haloMm: readonly [number, number];
  haloEcho: number;
  sheathEcho: number;
  /** Range of the mean echogenicity inside the mass (gland = 1). */
  echo: readonly [number, number];
  textureMm: number;
  /** Texture SD at heterogeneity → −∞ and its rise to +∞. */
  contrast: readonly [number, number];
  /**
   * v2: change of the mass's mean echogenicity (natural log of amplitude) from heterogeneity → −∞ to
   * +∞, on the same smooth step as the texture SD. Absent (v1): the mean does not depend on it.
   */
  echoShift?: number;
  /** v2: fraction of the amplitude shadowed below the mass at heterogeneity → +∞ (same step). */
  shadow?: number;
}

const STYLES: Record<PhantomVersion, LesionStyle> = {
  1: {
    parallelAspect: [0.55, 0.82],
    nonParallelWidth: [0.68, 0.86],
    spiculeCount: [9, 8],
    spiculeLengthMm: [2.5, 5],
    spiculeLengthPerHalf: 0.35,
    spiculeWidthMm: [1.0, 1.6],
    haloMm: [1.6, 2.6],
    haloEcho: 2.4,
    sheathEcho: 2.2,
    echo: [0.008, 0.025],
    textureMm: 1.3,
    contrast: [0.2, 1.4],
  },
  // v2: a more elongated parallel mass and a narrower taller-than-wide one; 10–17 spicules 1.8–2.6 mm
  // wide and 5–8 mm + 0.45 × the half-size long, with a brighter sheath; a 4–5.5 mm halo eight times
  // the gland's echogenicity (+18 dB), which stays a ring at 32 px. The image-only factor shows three
  // ways, each a finding the four read columns do not hold (echogenicity and posterior acoustic features
  // are other BI-RADS descriptors): the internal texture (2.8 mm correlation, SD 0.1 to 2.5), the mass's
  // mean level, which falls by up to 2.5 nepers (22 dB: from hypoechoic at −26 to −32 dB to markedly
  // hypoechoic), and an acoustic shadow below it that removes up to 85 % of the amplitude. Tumour
  // echogenicity (Yao et al., Oncol Lett 2024, article 95, doi:10.3892/ol.2024.14228; 342 early-stage
  // invasive cancers) and posterior
  // acoustic decrease (Bai et al., Clin Hemorheol Microcirc 2023, doi:10.3233/CH-231777; 471 cancers) were independent
  // predictors of ALN metastasis beside size and halo. Every cue is sized in mm, not relative to the
  // mass, so small masses carry it too.
  2: {
    parallelAspect: [0.48, 0.7],
    nonParallelWidth: [0.55, 0.72],
    spiculeCount: [10, 8],
    spiculeLengthMm: [5, 8],
    spiculeLengthPerHalf: 0.45,
    spiculeWidthMm: [1.8, 2.6],
    haloMm: [4, 5.5],
    haloEcho: 8,
    sheathEcho: 3,
    echo: [0.025, 0.05],
    textureMm: 2.8,
    contrast: [0.1, 2.4],
    echoShift: -2.5,
    shadow: 0.85,
  },
};

/**
 * Draws the geometry of a lesion with features `f` placed in the glandular layer.
 * @example drawLesion(features, 8, 24, Rng.fromSeed(3)).a // lateral semi-axis in mm
 */
export function drawLesion(
  f: LesionFeatures,
  glandTopMm: number,
  glandBottomMm: number,
  geo: Rng,
  version: PhantomVersion = 1,
): LesionGeometry {
  const style = STYLES[version];
  const half = f.sizeMm / 2;
  const aspect = f.shape === 'round' ? geo.between(0.88, 0.98) : geo.between(...style.parallelAspect);
  const [a, b] =
    f.orientation === 'parallel'
      ? [half, half * aspect]
      : [half * geo.between(...style.nonParallelWidth), half];
  const room = glandBottomMm - glandTopMm - 2 * b;
  const czMm = max(4 + b, glandTopMm + b + (room > 0 ? geo.between(0, room) : geo.between(-1, 1)));
  const cxMm = FIELD_OF_VIEW_MM / 2 + geo.between(-5, 5);

  const harmonics: Harmonic[] = [];
  if (f.shape === 'irregular')
    for (let k = 2; k <= 4; k++)
      harmonics.push({ k, amp: geo.between(0.05, 0.12), phase: geo.between(0, 2 * PI) });
  const scallops: Harmonic[] = [];
  if (f.lobulation)
    scallops.push({ k: 3 + geo.nextInt(2), amp: geo.between(0.15, 0.22), phase: geo.between(0, 2 * PI) });
  if (f.margin === 'microlobulated')
    scallops.push({ k: 14 + geo.nextInt(8), amp: geo.between(0.09, 0.13), phase: geo.between(0, 2 * PI) });
  const polygon = f.margin === 'angular' ? { n: 5 + geo.nextInt(3), phase: geo.between(0, 2 * PI) } : null;
  const edgeMm =
    f.margin === 'indistinct' ? geo.between(0.6, 1.0) : f.margin === 'circumscribed' ? 0.12 : 0.25;

  const nSpicules =
    f.margin === 'spiculated' ? style.spiculeCount[0] + geo.nextInt(style.spiculeCount[1]) : 0;
  const spicules =
    nSpicules > 0
      ? Array.from({ length: nSpicules }, (_, i) => ({
          angle: (2 * PI * (i + geo.between(-0.3, 0.3))) / nSpicules,
          lengthMm: geo.between(...style.spiculeLengthMm) + style.spiculeLengthPerHalf * half,
          widthMm: geo.between(...style.spiculeWidthMm),
        }))
      : [];
  const haloMm = f.echogenicHalo ? geo.between(...style.haloMm) : 0;

  const calcifications: LesionGeometry['calcifications'] = [];
  const nCalc = f.calcification ? 3 + geo.nextInt(6) + (f.sizeMm > 25 ? 3 : 0) : 0;
  while (calcifications.length < nCalc) {
    const u = geo.between(-1, 1);
    const v = geo.between(-1, 1);
    if (u * u + v * v > 0.55) continue;
    calcifications.push({ xMm: cxMm + a * u, zMm: czMm + b * v, radiusMm: geo.between(0.2, 0.35) });
  }
  const drawnEcho = geo.between(...style.echo);
  const echo =
    style.echoShift === undefined
      ? drawnEcho
      : drawnEcho * detExp(style.echoShift * smoothStep(f.heterogeneity));
  return {
    cxMm,
    czMm,
    a,
    b,
    harmonics,
    scallops,
    polygon,
    edgeMm,
    spicules,
    haloMm,
    calcifications,
    echo,
    textureContrast: contrastOf(f.heterogeneity, style.contrast),
    textureMm: style.textureMm,
    haloEcho: style.haloEcho,
    sheathEcho: style.sheathEcho,
    shadow: style.shadow === undefined ? 0 : style.shadow * smoothStep(f.heterogeneity),
  };
}

/**
 * Texture SD (natural-log echogenicity) rises smoothly with the latent from `lo` (v1: 0.2,
 * homogeneous, ±0.9 dB) to `lo + 2·half` (v1: 1.6, markedly heterogeneous, ±7 dB, above the
 * speckle's 5.6 dB).
 */
function contrastOf(heterogeneity: number, [lo, rise]: readonly [number, number]): number {
  const t = heterogeneity / sqrt(1 + heterogeneity * heterogeneity); // in (−1, 1), no exp needed
  return lo + (rise / 2) * (1 + t);
}

/** (1 + x/√(1 + x²))/2: a smooth step from 0 (x → −∞) to 1 (x → +∞), no exp needed. */
function smoothStep(x: number): number {
  return (1 + x / sqrt(1 + x * x)) / 2;
}

/** Mean of |cos| over a period, 2/π: scallops add no net size. */
const MEAN_ABS_COS = 2 / PI;

/**
 * Relative outline radius R(θ) in the ellipse's normalised coordinates (1 = the plain ellipse).
 * @example outlineFactor({ ...geometry, harmonics: [], scallops: [], polygon: null }, 0.3) // 1
 */
export function outlineFactor(g: LesionGeometry, theta: number): number {
  let r = 1;
  for (const h of g.harmonics) r += h.amp * detCos(h.k * theta + h.phase);
  for (const s of g.scallops) r += s.amp * (abs(detCos((s.k * theta) / 2 + s.phase)) - MEAN_ABS_COS);
  if (g.polygon) {
    // Regular n-gon through the unit circle's corners: r = cos(π/n)/cos(t − π/n), t in [0, 2π/n).
    const seg = (2 * PI) / g.polygon.n;
    let t = (theta - g.polygon.phase) % seg;
    if (t < 0) t += seg;
    r *= (detCos(PI / g.polygon.n) / detCos(t - seg / 2)) * 1.06;
  }
  return r;
}

/**
 * Signed distance (mm, > 0 outside) from (x, z) to the lesion boundary, along the centre ray.
 * @example signedDistanceMm(g, g.cxMm, g.czMm) // −min(a, b): the centre is inside
 */
export function signedDistanceMm(g: LesionGeometry, x: number, z: number): number {
  const u = (x - g.cxMm) / g.a;
  const v = (z - g.czMm) / g.b;
  const rho = sqrt(u * u + v * v);
  if (rho === 0) return -min(g.a, g.b);
  const su = (g.a * u) / rho;
  const sv = (g.b * v) / rho;
  return (rho - outlineFactor(g, detAtan2(v, u))) * sqrt(su * su + sv * sv);
}
