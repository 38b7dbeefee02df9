/**
 * FedAdam, the server optimizer of Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar & McMahan,
 * "Adaptive Federated Optimization" (ICLR 2021), Algorithm 2: the round's aggregated update Δ_t (the
 * sample-weighted mean of the sites' `local − global`, as FedAvg computes it) is treated as a
 * pseudo-gradient and applied with Adam's moments, without bias correction (as in the paper):
 *   m_t = β1·m_{t−1} + (1 − β1)·Δ_t
 *   v_t = β2·v_{t−1} + (1 − β2)·Δ_t²
 *   x_{t+1} = x_t + η·m_t / (√v_t + τ)
 * with m_0 = v_0 = 0. τ bounds the step where sites barely moved a weight (Δ ≈ 0 → no step).
 * Element-wise, so it runs on any slice of the weights (a tensor, a chunk) with that slice's moments.
 * Arithmetic is float64; results take the array type of the global weights.
 */

/** Server learning rate η, moment decays β1, β2 and adaptivity τ. */
export interface FedAdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  tau: number;
}

/**
 * Defaults: β1 = 0.9, β2 = 0.99 and τ = 1e-3 are the values Reddi et al. fix or find best in most of
 * their tasks (§5, Appendix D); η = 0.01 because the first step moves every weight by about η·|Δ|/(|Δ|+τ)
 * (m/√v = ±1 when v starts at 0), and a CNN's weights tolerate 0.01 where the paper's 0.1–1 is for
 * its smaller models.
 */
export const FEDADAM_DEFAULTS: Readonly<FedAdamOptions> = Object.freeze({
  learningRate: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  tau: 1e-3,
});

type Weights = Float32Array | Float64Array;

/** The server's Adam moments of one slice of the weights. */
export interface FedAdamMoments<T extends Weights = Weights> {
  m: T;
  v: T;
}

/** The problem with `options`, naming the field and the expected range, or null when they are valid. */
export function fedAdamOptionsProblem(options: FedAdamOptions): string | null {
  const { learningRate, beta1, beta2, tau } = options;
  if (!(Number.isFinite(learningRate) && learningRate > 0))
    return `learning_rate ${learningRate} is not a number > 0`;
  if (!(beta1 >= 0 && beta1 < 1)) return `beta1 ${beta1} is not in [0, 1)`;
  if (!(beta2 >= 0 && beta2 < 1)) return `beta2 ${beta2} is not in [0, 1)`;
  if (!(Number.isFinite(tau) && tau > 0)) return `tau ${tau} is not a number > 0`;
  return null;
}

/**
 * One FedAdam server step on a slice: the new global weights and moments (new arrays; the inputs are
 * not changed). `moments` null is the first round (zeros).
 * @example
 * const { global, moments } = fedAdamStep(weights, meanDelta, null, FEDADAM_DEFAULTS);
 * const next = fedAdamStep(global, nextDelta, moments, FEDADAM_DEFAULTS);
 */
export function fedAdamStep<T extends Weights>(
  weights: T,
  delta: ArrayLike<number>,
  moments: FedAdamMoments<T> | null,
  options: FedAdamOptions,
): { global: T; moments: FedAdamMoments<T> } {
  const problem = fedAdamOptionsProblem(options);
  if (problem) throw new Error(`FedAdam: ${problem}`);
  const n = weights.length;
  if (delta.length !== n) throw new Error(`FedAdam: delta has ${delta.length} values, the weights ${n}`);
  if (moments && (moments.m.length !== n || moments.v.length !== n))
    throw new Error(`FedAdam: moments have ${moments.m.length}/${moments.v.length} values, the weights ${n}`);
  const make = (): T => new (weights.constructor as new (length: number) => T)(n);
  const global = make();
  const m = make();
  const v = make();
  const { learningRate: eta, beta1, beta2, tau } = options;
  for (let i = 0; i < n; i++) {
    const d = delta[i]!;
    const mi = beta1 * (moments ? moments.m[i]! : 0) + (1 - beta1) * d;
    const vi = beta2 * (moments ? moments.v[i]! : 0) + (1 - beta2) * d * d;
    m[i] = mi;
    v[i] = vi;
    global[i] = weights[i]! + (eta * mi) / (Math.sqrt(vi) + tau);
  }
  return { global, moments: { m, v } };
}
