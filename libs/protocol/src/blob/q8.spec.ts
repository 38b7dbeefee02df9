import { describe, expect, it } from '@jest/globals';
import { dequantizeQ8, quantizeQ8 } from './q8';

describe('q8 affine quantisation', () => {
  it('maps min to 0 and max to 255 with scale (max − min)/255', () => {
    // Hand derivation: min −1, max 1 → scale 2/255; 0 → round(1/(2/255)) = round(127.5) = 128.
    const { q, params } = quantizeQ8(new Float32Array([-1, 0, 1]));
    expect(params).toEqual({ scale: 2 / 255, min: -1 });
    expect([...q]).toEqual([0, 128, 255]);
  });

  it('keeps |x̂ − x| ≤ scale/2 (plus the final float32 rounding)', () => {
    let seed = 7;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const x = new Float32Array(5000).map(() => next() * 0.05 + 0.01);
    const { q, params } = quantizeQ8(x);
    const y = dequantizeQ8(q, params);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const yi = y[i] as number;
      // float32 rounding of x̂ adds at most half an ulp: |x̂|·2^-24.
      expect(Math.abs(yi - xi)).toBeLessThanOrEqual(params.scale / 2 + Math.abs(yi) * 2 ** -24 + 1e-15);
    }
  });

  it('decodes a constant tensor exactly', () => {
    const { q, params } = quantizeQ8(new Float32Array([0.25, 0.25]));
    expect(params.scale).toBe(0);
    expect([...dequantizeQ8(q, params)]).toEqual([0.25, 0.25]);
  });
});
