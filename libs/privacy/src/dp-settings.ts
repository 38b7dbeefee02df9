/**
 * A study's differential-privacy settings (the study spec's `dp` object; snake_case as in the JSON).
 * Patient-level DP-SGD at every site: each step samples each of the site's records with probability
 * `sampling_rate` (Poisson), clips each record's gradient to L2 norm `clip_norm` and adds Gaussian
 * noise of standard deviation `noise_multiplier · clip_norm`. The study may spend at most
 * (`max_epsilon`, `delta`) per patient over all its rounds.
 */
export interface DpSettings {
  readonly noise_multiplier: number;
  readonly clip_norm: number;
  readonly sampling_rate: number;
  readonly max_epsilon: number;
  readonly delta: number;
}
