/**
 * Fully developed speckle: the B-mode envelope of a field of random scatterers seen through the
 * scanner's point-spread function. Each pixel holds a complex scatterer √(echogenicity)·(X + iY)/√2
 * with X, Y ~ N(0, 1); the field is convolved with a separable PSF, Gaussian laterally and a
 * Gaussian-modulated complex carrier axially, h(x, z) = exp(−x²/2σx²)·exp(−z²/2σz²)·exp(i·2π·z/(λ/2))
 * (pulse–echo wavelength λ/2 in depth; λ = c/f, c = 1540 m/s); the envelope |h ∗ s| is then Rayleigh
 * distributed in uniform tissue (J. W. Goodman, "Speckle Phenomena in Optics", 2007, ch. 2;
 * J. Meunier & M. Bertrand, IEEE TMI 14(2), 1995, for this scatterer/PSF model of ultrasound).
 */
import { detCos, detExp, detSin, PI } from './detmath';
import { convolveAxis, type Field, gaussianKernel } from './field';
import type { Rng } from './prng';
import type { ScannerSettings } from './site';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { ceil, max, sqrt } = Math;

/** Below about half a pixel a Gaussian kernel is a delta and the speckle turns into pixel noise. */
const MIN_PSF_PX = 0.6;

/** Axial complex kernel with Σ|h|² = 1, so uniform tissue of echogenicity e has E|env|² = e. */
function axialKernel(
  sigmaPx: number,
  pxMm: number,
  centreFrequencyMHz: number,
): [Float64Array, Float64Array] {
  const half = max(1, ceil(3 * sigmaPx));
  const re = new Float64Array(2 * half + 1);
  const im = new Float64Array(2 * half + 1);
  const halfWavelengthMm = 1.54 / centreFrequencyMHz / 2;
  let energy = 0;
  for (let i = -half; i <= half; i++) {
    const g = detExp(-(i * i) / (2 * sigmaPx * sigmaPx));
    const phase = (2 * PI * i * pxMm) / halfWavelengthMm;
    re[i + half] = g * detCos(phase);
    im[i + half] = g * detSin(phase);
    energy += g * g;
  }
  const norm = 1 / sqrt(energy);
  for (let i = 0; i < re.length; i++) {
    re[i]! *= norm;
    im[i]! *= norm;
  }
  return [re, im];
}

/**
 * Speckle envelope of an echogenicity map; E[envelope²] = echogenicity in uniform regions.
 * @example speckleEnvelope(newField(64, 64, 1), 0.7, scanner, Rng.fromSeed(1)).data[0] // > 0
 */
export function speckleEnvelope(echo: Field, pxMm: number, scanner: ScannerSettings, rng: Rng): Field {
  const { width, height } = echo;
  const n = width * height;
  let re: Float64Array = new Float64Array(n);
  let im: Float64Array = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = sqrt(echo.data[i]! / 2);
    re[i] = a * rng.normal();
    im[i] = a * rng.normal();
  }
  // Lateral: a real Gaussian scaled to Σk² = 1 (gaussianKernel has Σk = 1).
  const lat = gaussianKernel(max(MIN_PSF_PX, scanner.lateralPsfMm / pxMm));
  let latEnergy = 0;
  for (const v of lat) latEnergy += v * v;
  for (let i = 0; i < lat.length; i++) lat[i]! /= sqrt(latEnergy);
  re = convolveAxis(re, width, height, lat, 0);
  im = convolveAxis(im, width, height, lat, 0);
  // Axial: (a + ib) ∗ (c + id) = (a∗c − b∗d) + i(a∗d + b∗c).
  const [kre, kim] = axialKernel(
    max(MIN_PSF_PX, scanner.axialPsfMm / pxMm),
    pxMm,
    scanner.centreFrequencyMHz,
  );
  const ac = convolveAxis(re, width, height, kre, 1);
  const bd = convolveAxis(im, width, height, kim, 1);
  const ad = convolveAxis(re, width, height, kim, 1);
  const bc = convolveAxis(im, width, height, kre, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = ac[i]! - bd[i]!;
    const q = ad[i]! + bc[i]!;
    data[i] = sqrt(r * r + q * q);
  }
  return { width, height, data };
}
