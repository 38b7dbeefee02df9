/**
 * Background anatomy of a breast B-mode image, as echogenicity (relative backscatter power; the
 * fibroglandular tissue is 1) over depth: coupling gel, skin line, subcutaneous fat crossed by
 * Cooper's ligaments, the fibroglandular layer with fat lobules, retromammary fat, pectoralis muscle
 * with its fibre striations, and the bright pleura/rib line of the chest wall. Layer thicknesses
 * follow typical breast ultrasound (skin ≤ 2 mm, subcutaneous fat 3–10 mm, pectoralis 5–10 mm;
 * Stavros, "Breast Ultrasound", 2004, ch. 3). Boundaries undulate across the image.
 */
import { detExp, detSin, PI } from './detmath';
import { type Field, newField, smoothNoise } from './field';
import type { Rng } from './prng';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { abs, floor } = Math;

/** Width and depth of the imaged field (mm): a 45 mm linear probe imaged to 45 mm depth. */
export const FIELD_OF_VIEW_MM = 45;

export interface Anatomy {
  echo: Field;
  /** Mean depth (mm) of the bottom of subcutaneous fat (top of the glandular layer). */
  glandTopMm: number;
  /** Mean depth (mm) of the bottom of the glandular layer. */
  glandBottomMm: number;
}

/** A wavy boundary z(x) = depth + Σ amplitude·sin(2πx/period + phase), two random components. */
function undulation(depthMm: number, amplitudeMm: number, geo: Rng): (xMm: number) => number {
  const parts = [0, 1].map(() => ({
    a: amplitudeMm * geo.between(0.3, 1),
    period: geo.between(20, 70),
    phase: geo.between(0, 2 * PI),
  }));
  return (x) => depthMm + parts.reduce((z, p) => z + p.a * detSin((2 * PI * x) / p.period + p.phase), 0);
}

/**
 * Echogenicity map of the background tissue on a size×size grid of `pxMm` mm pixels. `geo` draws
 * the geometry (in mm, independent of the pixel size); `pix` draws pixel-level texture.
 */
export function drawAnatomy(size: number, pxMm: number, geo: Rng, pix: Rng): Anatomy {
  const skin = geo.between(1.4, 2.2);
  const fatBottom = undulation(skin + geo.between(3, 9), 1.5, geo);
  const glandThickness = geo.between(11, 19);
  const glandBottom = undulation(fatBottom(FIELD_OF_VIEW_MM / 2) + glandThickness, 2.5, geo);
  const retroFat = geo.between(1, 3);
  const muscleBottom = undulation(glandBottom(FIELD_OF_VIEW_MM / 2) + retroFat + geo.between(6, 10), 1, geo);
  const fatEcho = geo.between(0.08, 0.15);
  const muscleEcho = geo.between(0.35, 0.5);
  const ligaments = Array.from({ length: 2 + geo.nextInt(4) }, () => ({
    x0: geo.between(-10, FIELD_OF_VIEW_MM + 10),
    slope: geo.between(-1.2, 1.2),
    curve: geo.between(-0.04, 0.04),
  }));
  const striationPeriod = geo.between(2.0, 3.0);
  const striationTilt = geo.between(-0.08, 0.08);

  // Glandular texture and fat lobules: smooth noise at ~1.2 mm and ~3 mm correlation lengths.
  const fine = smoothNoise(size, size, 1.2 / pxMm, pix);
  const lobules = smoothNoise(size, size, 3 / pxMm, pix);
  const echo = newField(size, size);
  for (let i = 0; i < size; i++) {
    const x = (i + 0.5) * pxMm;
    const zFat = fatBottom(x);
    const zGland = glandBottom(x);
    const zRetro = zGland + retroFat;
    const zMuscle = muscleBottom(x);
    const ligamentDepths = ligaments.map(
      (l) => skin + (x - l.x0) * l.slope + l.curve * (x - l.x0) * (x - l.x0),
    );
    for (let j = 0; j < size; j++) {
      const z = (j + 0.5) * pxMm;
      const k = j * size + i;
      const t = fine.data[k]!;
      let e: number;
      if (z < 0.4)
        e = 0.01; // coupling gel
      else if (z < skin)
        e = 2.5; // skin line
      else if (z < zFat) {
        e = fatEcho * detExp(0.25 * t);
        for (const zl of ligamentDepths) if (zl > skin && zl < zFat && abs(z - zl) < 0.35) e = 1.6;
      } else if (z < zGland) {
        // Fat lobules inside the gland where the coarse noise is high: hypoechoic islands.
        const lobule = 1 / (1 + detExp(-4 * (lobules.data[k]! - 0.9)));
        e = detExp(0.45 * t) * (1 - lobule) + fatEcho * lobule;
      } else if (z < zRetro) e = fatEcho;
      else if (z < zMuscle) {
        const phase = (z - zRetro + striationTilt * x) / striationPeriod;
        const stripe = phase - floor(phase) < 0.3 ? 3 : 0;
        e = muscleEcho * detExp(0.2 * t) + stripe * muscleEcho;
      } else if (z < zMuscle + 0.8)
        e = 3; // pleura / rib surface
      else e = 0.04;
      echo.data[k] = e;
    }
  }
  return {
    echo,
    glandTopMm: fatBottom(FIELD_OF_VIEW_MM / 2),
    glandBottomMm: glandBottom(FIELD_OF_VIEW_MM / 2),
  };
}
