/**
 * Draws a lesion into the image: into the echogenicity map before speckle (hypoechoic body with
 * internal texture, blurred or sharp boundary, spicules, echogenic halo) and onto the envelope after
 * speckle (posterior enhancement/shadowing as a gain below the lesion, calcifications as bright
 * foci), which is where those effects arise physically — attenuation behind the mass, and specular
 * reflectors much brighter than speckle.
 */
import { detCos, detExp, detSin } from './detmath';
import { type Field, smoothNoise } from './field';
import type { PosteriorFeature } from './features';
import { type LesionGeometry, signedDistanceMm } from './lesion';
import type { Rng } from './prng';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { abs, ceil, floor, max, min, sqrt } = Math;

const CALCIFICATION_AMPLITUDE = 6;
const SHEATH_MM = 0.5;

/** Logistic step 1/(1 + e^(s)), clamped so detExp never overflows. */
function step(s: number): number {
  return s > 40 ? 0 : s < -40 ? 1 : 1 / (1 + detExp(s));
}

/** Distance from p to segment p0→p1 (t ∈ [0, 1] its position along it, in `segment.t`). */
const segment = { t: 0 };
function segmentDistance(px: number, pz: number, x0: number, z0: number, dx: number, dz: number): number {
  const len2 = dx * dx + dz * dz;
  const t = min(1, max(0, ((px - x0) * dx + (pz - z0) * dz) / len2));
  const ex = px - x0 - t * dx;
  const ez = pz - z0 - t * dz;
  segment.t = t;
  return sqrt(ex * ex + ez * ez);
}

/** Paints the lesion body, halo and spicules into `echo` (in place). */
export function paintLesion(echo: Field, g: LesionGeometry, pxMm: number, pix: Rng): void {
  const size = echo.width;
  const texture = smoothNoise(size, size, g.textureMm / pxMm, pix);
  const spicules = g.spicules.map((s) => {
    const ca = detCos(s.angle);
    const sa = detSin(s.angle);
    // Start just inside the outline along the ray, head outward in mm space.
    const dirX = g.a * ca;
    const dirZ = g.b * sa;
    const norm = sqrt(dirX * dirX + dirZ * dirZ);
    return {
      x0: g.cxMm + dirX * 0.85,
      z0: g.czMm + dirZ * 0.85,
      dx: (dirX / norm) * s.lengthMm,
      dz: (dirZ / norm) * s.lengthMm,
      w: s.widthMm,
    };
  });
  const reach =
    max(g.a, g.b) * 1.35 + g.haloMm + 4 * g.edgeMm + max(0, ...g.spicules.map((s) => s.lengthMm)) + 1;
  const lo = (c: number) => max(0, floor((c - reach) / pxMm));
  const hi = (c: number) => min(size - 1, ceil((c + reach) / pxMm));
  const c = g.textureContrast;
  for (let j = lo(g.czMm); j <= hi(g.czMm); j++) {
    const z = (j + 0.5) * pxMm;
    for (let i = lo(g.cxMm); i <= hi(g.cxMm); i++) {
      const x = (i + 0.5) * pxMm;
      const k = j * size + i;
      const d = signedDistanceMm(g, x, z);
      // Log-normal texture with unit mean: e^(cT − c²/2).
      const inner = g.echo * detExp(c * texture.data[k]! - (c * c) / 2);
      const m = step(d / g.edgeMm);
      let e = echo.data[k]! * (1 - m) + inner * m;
      if (g.haloMm > 0 && d > -0.5) {
        const r = (d - g.haloMm / 2) / (g.haloMm / 2);
        const h = r > 3 ? 0 : detExp(-r * r * 1.5) * (1 - m);
        e = e * (1 - h) + g.haloEcho * (1 + 0.3 * texture.data[k]!) * h;
      }
      // Spicules: a hypoechoic core with an echogenic sheath, the alternating pattern of spiculation.
      let core = 0;
      let sheath = 0;
      for (const sp of spicules) {
        const dist = segmentDistance(x, z, sp.x0, sp.z0, sp.dx, sp.dz);
        const halfWidth = (sp.w / 2) * (1 - 0.7 * segment.t);
        core = max(core, step((dist - halfWidth) / 0.12));
        sheath = max(sheath, step((dist - halfWidth - SHEATH_MM) / 0.15));
      }
      const w = sheath * (1 - m);
      if (w > 0) e = e * (1 - w) + g.sheathEcho * w;
      if (core > 0) e = e * (1 - core) + g.echo * core;
      echo.data[k] = max(0, e);
    }
  }
}

/**
 * Posterior acoustic features as an amplitude gain below the lesion: enhancement (less attenuation
 * in the mass, ×1.9 ≈ +5.6 dB), shadowing (more attenuation, ×0.2 ≈ −14 dB) or combined (a central
 * shadow flanked by enhancement). The gain ramps up over ~1 mm below the lower boundary and fades
 * slowly with depth, across the lesion's width.
 */
export function applyPosterior(
  env: Field,
  g: LesionGeometry,
  posterior: PosteriorFeature,
  pxMm: number,
): void {
  if (posterior === 'none' && g.shadow === 0) return;
  const size = env.width;
  for (let i = 0; i < size; i++) {
    const dx = ((i + 0.5) * pxMm - g.cxMm) / g.a;
    if (abs(dx) >= 1) continue;
    const across = max(0, 1 - (dx / 0.95) * (dx / 0.95));
    const central = max(0, 1 - (dx / 0.45) * (dx / 0.45));
    const amount =
      posterior === 'none'
        ? 0
        : posterior === 'enhancement'
          ? 0.9 * across
          : posterior === 'shadowing'
            ? -0.8 * across
            : 1.0 * (across - central) - 0.8 * central;
    const bottom = g.czMm + g.b * sqrt(1 - dx * dx);
    for (let j = max(0, floor(bottom / pxMm)); j < size; j++) {
      const below = (j + 0.5) * pxMm - bottom;
      if (below <= 0) continue;
      const depthWeight = (1 - detExp(-below / 1.0)) * detExp(-below / 25);
      env.data[j * size + i]! *= 1 + amount * depthWeight;
      if (g.shadow > 0) env.data[j * size + i]! *= 1 - g.shadow * across * depthWeight;
    }
  }
}

/**
 * Calcifications: Gaussian bright foci A·exp(−r²/2σ²) added to the envelope, A = 6× the gland’s
 * RMS envelope (+16 dB), σ = the focus radius but at least 0.55 px so a focus survives at 64 px.
 */
export function applyCalcifications(env: Field, g: LesionGeometry, pxMm: number): void {
  const size = env.width;
  for (const c of g.calcifications) {
    const sigma = max(c.radiusMm, 0.55 * pxMm);
    const reach = 3 * sigma;
    for (
      let j = max(0, floor((c.zMm - reach) / pxMm));
      j <= min(size - 1, ceil((c.zMm + reach) / pxMm));
      j++
    ) {
      for (
        let i = max(0, floor((c.xMm - reach) / pxMm));
        i <= min(size - 1, ceil((c.xMm + reach) / pxMm));
        i++
      ) {
        const ex = (i + 0.5) * pxMm - c.xMm;
        const ez = (j + 0.5) * pxMm - c.zMm;
        env.data[j * size + i]! +=
          CALCIFICATION_AMPLITUDE * detExp(-(ex * ex + ez * ez) / (2 * sigma * sigma));
      }
    }
  }
}
