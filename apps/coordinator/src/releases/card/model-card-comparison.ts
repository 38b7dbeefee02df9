/**
 * The model card's comparison of the DL score, the four-feature model and the combined model on the
 * sites' test splits (issue 15), as JSON and as its HTML section: per site (the lead's view) and pooled.
 */
import {
  COMPARED_MODELS,
  pooledModelComparison,
  type ComparedModel,
  type ModelComparison,
} from '@fedaln/metrics';
import type { ModelComparisonRecord } from '../../evaluation/model-comparison-phase';
import { escapeHtml as e } from './html-escape';

/** What the comparison is not, stated on the card beside its figures. */
export const COMPARISON_CAVEATS: readonly string[] = [
  'Pooled figures combine each site’s own estimates (weights n_pos·n_neg, i.e. the AUC over pairs of patients from the same hospital); no positive is ranked against another hospital’s negatives, since that would need their scores. It is not the AUC of the pooled population.',
  'A fixed-effect combination: a difference that varies between hospitals is averaged, not modelled (see the per-site rows).',
  'All three models are scored on the test cases: the four-feature model was fitted on the sites’ training cases and the combined model and recalibration on their validation cases, so none was fitted on these cases; the DL model’s round was chosen on the validation cases too.',
  'p-values are two-sided and not adjusted for the three comparisons; sites with fewer than k cases of a class release no figures and are left out.',
];

export interface ModelCardComparison {
  /** The round of the nomogram and DL model compared (the released round). */
  round: number;
  method: string;
  caveats: string[];
  pooled: ModelComparison | null;
  /** Each site's own figures (null when withheld under the privacy rule); a site sees only its own. */
  sites: { site_id: string; name: string; comparison: ModelComparison | null }[];
  left_out: { site_id: string; name: string; reason: string }[];
}

/**
 * The card's comparison from the stored record, site names from the release.
 * @example modelCardComparison(record, new Map([['site-a', 'Hospital A']])).pooled?.differences[0].p
 */
export function modelCardComparison(
  record: ModelComparisonRecord,
  names: ReadonlyMap<string, string>,
): ModelCardComparison {
  const name = (id: string) => names.get(id) ?? id;
  return {
    round: record.round,
    method: record.method,
    caveats: [...COMPARISON_CAVEATS],
    pooled: record.pooled,
    sites: record.sites.map((s) => ({
      site_id: s.site_id,
      name: name(s.site_id),
      comparison: pooledModelComparison([s.comparison]),
    })),
    left_out: record.left_out.map((s) => ({ ...s, name: name(s.site_id) })),
  };
}

const MODEL_LABELS: Readonly<Record<ComparedModel, string>> = {
  dl: 'DL score',
  features: 'Four features',
  combined: 'Combined (DL + features)',
};
const f3 = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const pText = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

function rows(label: string, c: ModelComparison | null): string {
  if (c === null)
    return `<tr><td>${e(label)}</td><td colspan="6">withheld (fewer than k cases of a class)</td></tr>`;
  const aucs = COMPARED_MODELS.map((m) => {
    const x = c.models[m];
    return `<td>${e(f3(x.auc))} (${e(f3(x.ci[0]))}–${e(f3(x.ci[1]))})</td>`;
  });
  const diffs = c.differences
    .filter((d) => d.b === 'features')
    .map(
      (d) =>
        `<td>${e(signed(d.difference))} (${e(signed(d.ci[0]))} to ${e(signed(d.ci[1]))}), p ${e(pText(d.p))}</td>`,
    );
  return `<tr><td>${label}</td><td>${e(c.n)} (${e(c.n_pos)})</td>${aucs.join('')}${diffs.join('')}</tr>`;
}

/**
 * The card's HTML section, or '' when the release has no comparison (every release before issue 15).
 * @example comparisonSection(card.comparison)
 */
export function comparisonSection(c: ModelCardComparison | undefined): string {
  if (!c) return '';
  const head = [
    'Site',
    'Test cases (positive)',
    ...COMPARED_MODELS.map((m) => `${MODEL_LABELS[m]} AUC (95% CI)`),
  ]
    .concat(['Combined − features', 'DL − features'])
    .map((h) => `<th>${e(h)}</th>`)
    .join('');
  const body = [
    ...c.sites.map((s) => rows(e(s.name), s.comparison)),
    rows(`<strong>Pooled (${e(c.pooled?.sites ?? 0)} sites)</strong>`, c.pooled),
  ].join('\n');
  const left = c.left_out.map((s) => `<li>${e(s.name)}: ${e(s.reason)}</li>`).join('');
  const dlVsCombined = c.pooled?.differences.find((d) => d.a === 'combined' && d.b === 'dl');
  return `<section><h2>DL score, four features and the combined model</h2>
<p>The three models on the same test cases, with paired DeLong differences (95% CI, two-sided p). Method: ${e(c.method)}.</p>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
${dlVsCombined ? `<p class="note">Combined − DL (pooled): ${e(signed(dlVsCombined.difference))} (${e(signed(dlVsCombined.ci[0]))} to ${e(signed(dlVsCombined.ci[1]))}), p ${e(pText(dlVsCombined.p))}.</p>` : ''}
${left ? `<p class="note">Left out:</p><ul>${left}</ul>` : ''}
<p class="note">What this comparison is not:</p><ul>${c.caveats.map((x) => `<li>${e(x)}</li>`).join('')}</ul></section>`;
}
