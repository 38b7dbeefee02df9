/**
 * Affine per-tensor uint8 quantisation for the `q8` wire encoding (the "asymmetric" scheme of
 * Jacob et al., "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
 * Inference", CVPR 2018, eq. 1 with zero point folded into `min`):
 *
 *   scale = (max − min) / 255,   q = round((x − min) / scale) ∈ {0…255},   x̂ = min + q · scale
 *
 * so |x̂ − x| ≤ scale / 2 before x̂ is stored as float32, plus at most half a float32 ulp of x̂ for
 * that final rounding. A constant tensor (max = min) has scale 0 and decodes exactly.
 */
export interface Q8Params {
  scale: number;
  min: number;
}

/**
 * Quantises `values` (all finite) to bytes.
 *
 * @example
 * quantizeQ8(new Float32Array([0, 0.5, 1])); // {q: [0, 128, 255], params: {scale: 1/255, min: 0}}
 */
export function quantizeQ8(values: Float32Array): { q: Uint8Array; params: Q8Params } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  const scale = (max - min) / 255;
  const q = new Uint8Array(values.length);
  if (scale > 0) {
    const inv = 1 / scale;
    for (let i = 0; i < values.length; i++) {
      const k = Math.round(((values[i] as number) - min) * inv);
      q[i] = k < 0 ? 0 : k > 255 ? 255 : k;
    }
  }
  return { q, params: { scale, min } };
}

/**
 * Inverse of {@link quantizeQ8}: x̂ = min + q · scale, stored as float32 — into `out` when given (a
 * chunk's buffer, `q.length` values), otherwise into a fresh array.
 *
 * @example
 * dequantizeQ8(new Uint8Array([0, 255]), { scale: 2 / 255, min: -1 }); // Float32Array [-1, 1]
 */
export function dequantizeQ8(
  q: Uint8Array,
  { scale, min }: Q8Params,
  out: Float32Array = new Float32Array(q.length),
): Float32Array {
  for (let i = 0; i < q.length; i++) out[i] = min + (q[i] as number) * scale;
  return out;
}
