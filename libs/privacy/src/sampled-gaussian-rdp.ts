import { logAdd, logSub } from './log-sum';
import { logErfc } from './log-erfc';

/** Terms of the fractional-order series below e^-40 (relative to A_α ≥ 1) no longer change a double. */
const SERIES_TAIL = -40;
const MAX_SERIES_TERMS = 1_000_000;
const LOG_HALF = Math.log(0.5);

/**
 * The Rényi differential privacy of ONE step of the sampled Gaussian mechanism (each record included
 * independently with probability q — Poisson sampling —, sum of records clipped to L2 norm 1, Gaussian
 * noise of standard deviation σ): RDP(α) = log(A_α)/(α − 1), with
 *   A_α = E_{z∼N(0,σ²)} [((1 − q) + q·e^((2z − 1)/(2σ²)))^α]
 * (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3).
 * - q = 1: the plain Gaussian mechanism, RDP(α) = α/(2σ²) (Mironov 2017, Prop. 7).
 * - integer α: the exact binomial sum (MTZ 2019, Sec. 3.3)
 *     A_α = Σ_{i=0..α} C(α,i) (1 − q)^(α−i) q^i e^((i² − i)/(2σ²)),
 *   summed in log space.
 * - fractional α: MTZ 2019's series A_α = A₀ + A₁ with z₀ = σ² log(1/q − 1) + 1/2,
 *     A₀ = Σ_i C(α,i) q^i (1 − q)^(α−i) e^((i² − i)/(2σ²)) · ½ erfc((i − z₀)/(√2σ)),
 *     A₁ = Σ_i C(α,i) q^(α−i) (1 − q)^i e^(((α−i)² − (α−i))/(2σ²)) · ½ erfc((z₀ − (α − i))/(√2σ)),
 *   summed until both terms fall below e^-40 (TF Privacy's `_compute_log_a_frac` stops at e^-30);
 *   C(α,i) changes sign past i = α, so negative terms are subtracted in log space.
 * T steps (and rounds) compose by adding RDP at each order (Mironov 2017, Prop. 1).
 *
 * @example sampledGaussianRdp(1, 2, 4) // 0.5 (= α/(2σ²))
 */
export function sampledGaussianRdp(samplingRate: number, noiseMultiplier: number, order: number): number {
  const q = samplingRate;
  const sigma = noiseMultiplier;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate ${q} is not in [0, 1]`);
  if (!(sigma > 0) || !Number.isFinite(sigma))
    throw new RangeError(`noise multiplier ${sigma} is not a positive number`);
  if (!(order > 1) || !Number.isFinite(order)) throw new RangeError(`RDP order ${order} is not > 1`);
  if (q === 0) return 0;
  if (q === 1) return order / (2 * sigma * sigma);
  const logA = Number.isInteger(order) ? logAInteger(q, sigma, order) : logAFractional(q, sigma, order);
  return logA / (order - 1);
}

function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logBinom = 0; // log C(α, 0)
  let logA = -Infinity;
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * sigma;
  const twoSigma2 = 2 * sigma * sigma;
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let logAbsBinom = 0; // log |C(α, 0)|
  let sign = 1;
  for (let i = 0; i < MAX_SERIES_TERMS; i++) {
    if (i > 0) {
      const ratio = (alpha - i + 1) / i; // C(α,i) = C(α,i−1)·(α − i + 1)/i
      logAbsBinom += Math.log(Math.abs(ratio));
      if (ratio < 0) sign = -sign;
    }
    // One term of A₀ (k = i) or A₁ (k = α − i): |C(α,i)| q^k (1 − q)^(α−k) e^((k² − k)/(2σ²)) · ½ erfc(u).
    const logTerm = (k: number, u: number): number =>
      logAbsBinom + k * logQ + (alpha - k) * log1mQ + (k * k - k) / twoSigma2 + LOG_HALF + logErfc(u);
    const j = alpha - i;
    const logS0 = logTerm(i, (i - z0) / scale);
    const logS1 = logTerm(j, (z0 - j) / scale);
    const accumulate = sign > 0 ? logAdd : logSub;
    logA0 = accumulate(logA0, logS0);
    logA1 = accumulate(logA1, logS1);
    if (i > alpha && Math.max(logS0, logS1) < SERIES_TAIL) return logAdd(logA0, logA1);
  }
  throw new RangeError(
    `the RDP series at order ${alpha} (q ${q}, σ ${sigma}) did not converge in ${MAX_SERIES_TERMS} terms`,
  );
}
