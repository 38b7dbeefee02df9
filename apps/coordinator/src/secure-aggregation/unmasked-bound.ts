import { gridStep } from '@fedaln/aggregation';
import type { MaskedSum, UnmaskPlan } from '@fedaln/secagg';

/**
 * The check the coordinator can still make under secure aggregation: every site clipped its update
 * to ‖δᵢ‖₂ ≤ c (`clip_norm`) before masking, so the unmasked sum obeys ‖Σᵢ nᵢδᵢ‖₂ ≤ c·Σᵢ nᵢ (triangle
 * inequality). The sum is on the aggregation grid: each site's term nᵢδᵢ is rounded to the nearest
 * multiple of the tensor's grid step q (libs/aggregation grid.ts), so the bound allows K·q/2 per
 * element, K the survivors — Σₖ √Pₖ·K·qₖ/2 in L2 over tensors of Pₖ elements.
 * Returns null when the sum is within the bound, else the reason the round's model is not taken.
 *
 * @example
 * unmaskedNormProblem(sum, plan, 1); // null, or "the unmasked sum's norm 812.3 exceeds …"
 */
export function unmaskedNormProblem(sum: MaskedSum, plan: UnmaskPlan, clipNorm: number): string | null {
  const k = plan.survivors.length;
  let squares = 0;
  let slack = 0;
  sum.layout.tensors.forEach((_, t) => {
    const q = gridStep(sum.layout.scales[t] as number);
    const sums = sum.sums(t);
    for (let i = 0; i < sums.length; i++) squares += ((sums[i] as number) * q) ** 2;
    slack += (Math.sqrt(sums.length) * k * q) / 2;
  });
  const norm = Math.sqrt(squares);
  const bound = clipNorm * plan.totalWeight + slack;
  if (norm <= bound) return null;
  return (
    `the unmasked sum's norm ‖Σ nᵢδᵢ‖ = ${norm} exceeds clip_norm ${clipNorm} × Σ nᵢ ${plan.totalWeight} ` +
    `(+ grid rounding ${slack}) = ${bound}: a site did not clip its update; the round's model is not taken`
  );
}
