/**
 * One native DICOM frame to 8-bit gray or RGB (PS3.3 C.7.6.3.1.2 photometric interpretations).
 *
 * - MONOCHROME2: 8-bit samples as stored. 16-bit samples (Bits Stored ≤ 16, signed or not, after
 *   Rescale Slope/Intercept) go to 8 bits through the first VOI window (0028,1050/1051) with the
 *   linear function of PS3.3 C.11.2.1.2.1, or, without a window, linearly from the frame's minimum
 *   (0) to its maximum (255), rounded half up.
 * - MONOCHROME1 (0 is white): as MONOCHROME2, then inverted (255 − v), so the model sees the same
 *   polarity as MONOCHROME2.
 * - RGB, YBR_FULL (planar configuration 0 or 1), YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair, chroma
 *   shared by the pair): 8-bit only. YCbCr becomes RGB with the full-range matrix of C.7.6.3.1.2,
 *   rounded half up and clamped, as pydicom's `convert_color_space` does.
 * Anything else (PALETTE COLOR, YBR_PARTIAL_*, YBR_ICT/RCT outside JPEG 2000, 16-bit colour) is refused.
 */
import type { PixelModule } from './dicom-dataset';

/** Decoded 8-bit pixels, row-major, interleaved. */
export interface Pixels8 {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export const SUPPORTED_PHOTOMETRICS = [
  'MONOCHROME2',
  'MONOCHROME1',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
] as const;

/** Why `p` cannot be decoded, or null when it can. */
export function photometricRefusal(p: PixelModule): string | null {
  const mono = p.photometric === 'MONOCHROME1' || p.photometric === 'MONOCHROME2';
  if (!(SUPPORTED_PHOTOMETRICS as readonly string[]).includes(p.photometric)) {
    return `photometric interpretation "${p.photometric}" is not supported; expected one of ${SUPPORTED_PHOTOMETRICS.join(', ')}`;
  }
  if (p.samplesPerPixel !== (mono ? 1 : 3)) {
    return `${p.photometric} with ${p.samplesPerPixel} samples per pixel; expected ${mono ? 1 : 3}`;
  }
  if (!(p.bitsAllocated === 8 || (mono && p.bitsAllocated === 16))) {
    return `${p.photometric} with Bits Allocated ${p.bitsAllocated}; expected 8${mono ? ' or 16' : ''}`;
  }
  if (p.bitsStored < 1 || p.bitsStored > p.bitsAllocated) {
    return `Bits Stored ${p.bitsStored} with Bits Allocated ${p.bitsAllocated}; expected 1..${p.bitsAllocated}`;
  }
  return null;
}

const roundClamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5));

/** PS3.3 C.11.2.1.2.1: linear VOI function to 0..255. */
function windowed(x: number, center: number, width: number): number {
  if (x <= center - 0.5 - (width - 1) / 2) return 0;
  if (x > center - 0.5 + (width - 1) / 2) return 255;
  return roundClamp(((x - (center - 0.5)) / (width - 1) + 0.5) * 255);
}

function monochrome(frame: Uint8Array, p: PixelModule): Uint8Array {
  const n = p.rows * p.columns;
  const out = new Uint8Array(n);
  const mask = 2 ** p.bitsStored - 1;
  const signBit = 2 ** (p.bitsStored - 1);
  if (p.bitsAllocated === 8 && p.pixelRepresentation === 0) {
    for (let i = 0; i < n; i++) out[i] = frame[i]! & mask;
  } else {
    const values = new Float64Array(n);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const { slope, intercept } = p.rescale;
    for (let i = 0; i < n; i++) {
      let v = (p.bitsAllocated === 8 ? frame[i]! : view.getUint16(i * 2, true)) & mask;
      if (p.pixelRepresentation === 1 && v >= signBit) v -= 2 * signBit;
      values[i] = v * slope + intercept;
    }
    if (p.window) {
      for (let i = 0; i < n; i++) out[i] = windowed(values[i]!, p.window.center, p.window.width);
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of values) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const scale = hi > lo ? 255 / (hi - lo) : 0;
      for (let i = 0; i < n; i++) out[i] = roundClamp((values[i]! - lo) * scale);
    }
  }
  if (p.photometric === 'MONOCHROME1') for (let i = 0; i < n; i++) out[i] = 255 - out[i]!;
  return out;
}

/** PS3.3 C.7.6.3.1.2 full-range YCbCr → RGB, in place; coefficients as pydicom 2.3's `_convert_YBR_FULL_to_RGB`. */
export function ybrFullToRgb(data: Uint8Array): void {
  const gCb = (-0.114 * 1.772) / 0.587;
  const gCr = (-0.299 * 1.402) / 0.587;
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = roundClamp(y + 1.402 * cr);
    data[i + 1] = roundClamp(y + gCb * cb + gCr * cr);
    data[i + 2] = roundClamp(y + 1.772 * cb);
  }
}

/**
 * Converts one native frame (little endian, as stored) to 8-bit pixels. Call `photometricRefusal` first.
 * @example toPixels8(ds.frame(0), ds.pixel) // { width: 32, height: 24, channels: 1, data }
 */
export function toPixels8(frame: Uint8Array, p: PixelModule): Pixels8 {
  const n = p.rows * p.columns;
  const base = { width: p.columns, height: p.rows };
  if (p.photometric === 'MONOCHROME1' || p.photometric === 'MONOCHROME2') {
    return { ...base, channels: 1, data: monochrome(frame, p) };
  }
  const data = new Uint8Array(n * 3);
  if (p.photometric === 'YBR_FULL_422') {
    for (let pair = 0; pair < n / 2; pair++) {
      const [y1, y2, cb, cr] = [
        frame[pair * 4]!,
        frame[pair * 4 + 1]!,
        frame[pair * 4 + 2]!,
        frame[pair * 4 + 3]!,
      ];
      data.set([y1, cb, cr, y2, cb, cr], pair * 6);
    }
  } else if (p.planarConfiguration === 1) {
    for (let i = 0; i < n; i++) {
      data[i * 3] = frame[i]!;
      data[i * 3 + 1] = frame[n + i]!;
      data[i * 3 + 2] = frame[2 * n + i]!;
    }
  } else {
    data.set(frame.subarray(0, n * 3));
  }
  if (p.photometric !== 'RGB') ybrFullToRgb(data);
  return { ...base, channels: 3, data };
}
