import { dpSgdEpsilon, type SampledGaussianSteps } from './dp-sgd-epsilon';
import { DEFAULT_RDP_ORDERS } from './rdp-orders';
import type { PrivacySpent } from './rdp-to-epsilon';

/** σ searched in [MIN_SIGMA, MAX_SIGMA]; beyond, no study is plausible. */
export const MIN_SIGMA = 0.01;
export const MAX_SIGMA = 1e4;

/** The smallest noise multiplier that keeps T steps within a target ε, with the ε it gives. */
export interface NoiseForEpsilon extends PrivacySpent {
  noiseMultiplier: number;
}

/**
 * The smallest σ (to 1e-6 relative) such that T steps of the sampled Gaussian mechanism at rate q are
 * (ε_target, δ)-DP under {@link dpSgdEpsilon}. ε is non-increasing in σ (at each order the RDP of the
 * sampled Gaussian decreases as σ grows — MTZ 2019, Sec. 3), so bisection on [0.01, 10⁴] finds it;
 * the answer is rounded up so its ε never exceeds the target. Undefined when even σ = 10⁴ misses the
 * target (ε_target too small for these q, T, δ).
 *
 * @example noiseForEpsilon(3, { samplingRate: 256 / 60000, steps: 14062 }, 1e-5)?.noiseMultiplier // ≈ 1.0
 */
export function noiseForEpsilon(
  targetEpsilon: number,
  { samplingRate, steps }: Omit<SampledGaussianSteps, 'noiseMultiplier'>,
  delta: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): NoiseForEpsilon | undefined {
  if (!(targetEpsilon > 0) || !Number.isFinite(targetEpsilon))
    throw new RangeError(`target epsilon ${targetEpsilon} is not a positive number`);
  const at = (noiseMultiplier: number): NoiseForEpsilon => ({
    noiseMultiplier,
    ...dpSgdEpsilon({ noiseMultiplier, samplingRate, steps }, delta, orders),
  });
  let lo = MIN_SIGMA;
  const lowest = at(lo);
  if (lowest.epsilon <= targetEpsilon) return lowest;
  let hi = MAX_SIGMA;
  let best = at(hi);
  if (best.epsilon > targetEpsilon) return undefined;
  while (hi - lo > 1e-6 * hi) {
    const mid = Math.sqrt(lo * hi); // geometric: σ spans six decades
    const here = at(mid);
    if (here.epsilon <= targetEpsilon) {
      hi = mid;
      best = here;
    } else lo = mid;
  }
  return best;
}
