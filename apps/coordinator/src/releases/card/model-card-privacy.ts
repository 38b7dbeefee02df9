/**
 * The model card's differential-privacy section (issue 16): the privacy the released model cost each
 * site's patients, as the coordinator's accountant computes it from the study's settings and the
 * rounds up to the release (never from what a site reports).
 */
import type { RoundPrivacy } from '../../domain/study-privacy-budget';
import type { StudySpec } from '../../domain/study-spec';
import { escapeHtml as e } from './html-escape';

export interface ModelCardPrivacy {
  /** The largest ε over the sites' patients, at `delta`. */
  epsilon: number;
  delta: number;
  max_epsilon: number;
  noise_multiplier: number;
  clip_norm: number;
  sampling_rate: number;
  /** DP-SGD steps each site is charged for up to the released round. */
  steps: number;
  /** False for `accounting_only` studies: no noise was added; ε is what it would have been. */
  noise_added: boolean;
  sites: { site_id: string; epsilon: number }[];
}

/**
 * The card's privacy entry for a release at the round `privacy` describes; null without `dp`.
 * @example modelCardPrivacy(study.spec, ledger.get(release.round) ?? null)?.epsilon
 */
export function modelCardPrivacy(
  spec: Pick<StudySpec, 'dp'>,
  privacy: RoundPrivacy | null,
): ModelCardPrivacy | null {
  const { dp } = spec;
  if (!dp || !privacy) return null;
  return {
    epsilon: Math.max(0, ...privacy.sites.map((s) => s.epsilon)),
    delta: privacy.delta,
    max_epsilon: privacy.maxEpsilon,
    noise_multiplier: dp.noise_multiplier,
    clip_norm: dp.clip_norm,
    sampling_rate: dp.sampling_rate,
    steps: privacy.steps,
    noise_added: privacy.noiseAdded,
    sites: privacy.sites.map((s) => ({ site_id: s.site, epsilon: s.epsilon })),
  };
}

/** The HTML section; empty for a study without `dp`. */
export function privacySection(privacy: ModelCardPrivacy | null | undefined): string {
  if (!privacy) return '';
  const p = privacy;
  const what = p.noise_added
    ? `Each site trained with patient-level DP-SGD: every step sampled each patient with probability ${p.sampling_rate}, clipped each patient's gradient to L2 norm ${p.clip_norm} and added Gaussian noise of standard deviation ${p.noise_multiplier} × ${p.clip_norm}.`
    : 'Accounting only: the sites trained without noise; the figure below is what the stated noise would have spent, not a guarantee.';
  return `<section><h2>Differential privacy</h2><p>${e(what)}</p>
<p><strong>ε = ${e(p.epsilon.toFixed(3))}</strong> at δ = ${e(String(p.delta))} per patient over the ${e(String(p.steps))} steps each site took up to this release (budget ε ≤ ${e(String(p.max_epsilon))}; RDP accountant of the sampled Gaussian mechanism, tight conversion).</p></section>`;
}
