/**
 * The model card as one self-contained HTML page: inline CSS, inline SVG charts, no scripts and no
 * external resources, so it can be archived with the release and opened offline. Every value from
 * the card is escaped.
 */
import { FEATURE_MODEL_INTERCEPT, type FeatureModelTerm } from '@fedaln/metrics';
import { escapeHtml as e } from './html-escape';
import type { ModelCard, ModelCardSite } from './model-card';
import { decisionCurveSvg, rocChartSvg } from './svg-charts';
import { comparisonSection } from './model-card-comparison';
import { privacySection } from './model-card-privacy';
import { CARD_CSS } from './model-card-css';

const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined ? '—' : x.toFixed(digits);
const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
const ci = (c: readonly [number, number] | null): string => (c === null ? '—' : `${num(c[0])}–${num(c[1])}`);
const pValue = (p: number | null): string => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));
const range = (r: readonly [number, number] | null, digits = 2): string =>
  r === null ? 'none' : `${num(r[0], digits)}–${num(r[1], digits)}`;
/** An ISO timestamp as "2026-11-27 05:00 UTC"; anything else as given. */
const when = (iso: string): string => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
};
/** Readable names of the feature model's covariates (FEATURE_MODEL_TERMS, each once). */
const COVARIATE_LABELS: Readonly<Record<string, string>> = {
  [FEATURE_MODEL_INTERCEPT]: 'Intercept',
  size_mm: 'Size (per mm)',
  non_parallel: 'Non-parallel orientation',
  echogenic_halo: 'Echogenic halo',
  spiculation: 'Spiculation',
} satisfies Record<FeatureModelTerm, string>;

function table(head: string[], rows: string[][], className = ''): string {
  const th = head.map((h) => `<th>${e(h)}</th>`).join('');
  // Cells arrive escaped already (they may hold markup such as <strong>), see callers.
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function sitesSection(card: ModelCard): string {
  const rows = card.sites.map((s) => [
    e(s.name),
    e(s.n_train),
    e(s.n_test),
    e(s.n_pos),
    e(pct(s.prevalence)),
    e(s.engine ?? '—'),
  ]);
  const p = card.pooled;
  rows.push([
    '<strong>All sites</strong>',
    e(card.training.n_train),
    e(p.n),
    e(p.n_pos),
    e(pct(p.prevalence)),
    e(card.training.engines.join(', ') || '—'),
  ]);
  return `<section><h2>Sites and data</h2>
${card.data_source === 'phantom' ? '<p class="warning">Synthetic demonstration data: the images and labels below are generated phantoms, not patients.</p>' : ''}
${table(['Site', 'Training cases', 'Test cases', 'Test positives', 'Prevalence', 'Training engine'], rows)}</section>`;
}

function trainingSection(card: ModelCard): string {
  const t = card.training;
  const r = card.release;
  const rows: [string, string, boolean?][] = [
    ['Architecture', `${card.model.arch}, ${card.model.input_size}×${card.model.input_size} input`],
    [
      'Federated training',
      `${t.rounds} rounds over ${t.sites} sites, aggregation ${t.strategy}; released from round ${r.round}`,
    ],
    [
      'Local training',
      `${t.local_epochs} epoch(s) per round, batch ${t.batch_size}, learning rate ${t.learning_rate}`,
    ],
    ['Engines', t.engines.join(', ') || 'not reported'],
    ['Weights sha256', r.weights_sha256, true],
    ['Ed25519 signature', r.signature ?? 'unsigned', true],
    ['Signed manifest sha256', r.manifest_sha256 ?? 'none (released before signed manifests)', true],
    ['Coordinator public key', r.ed25519_public_key ?? '—', true],
    ['Released', when(r.created_at)],
  ];
  const body = rows.map(
    ([k, v, mono]) => `<tr><th>${e(k)}</th><td${mono ? ' class="mono"' : ''}>${e(v)}</td></tr>`,
  );
  return `<section><h2>Model and training</h2><table class="kv"><tbody>${body.join('\n')}</tbody></table></section>`;
}

function discriminationSection(card: ModelCard): string {
  const p = card.pooled;
  const rows = card.sites.map((s) => [e(s.name), e(s.n_test), e(num(s.auc)), e(ci(s.auc_ci))]);
  rows.push(['<strong>Pooled</strong>', e(p.n), `<strong>${e(num(p.auc))}</strong>`, e(ci(p.auc_ci))]);
  const roc = rocChartSvg(
    card.sites.map((s: ModelCardSite) => ({
      label: `${s.name.length > 19 ? `${s.name.slice(0, 18)}…` : s.name} (${num(s.auc, 2)})`,
      fpr: s.roc.fpr,
      tpr: s.roc.tpr,
    })),
    p.auc === null ? null : { label: `Pooled (${num(p.auc, 2)})`, fpr: p.roc.fpr, tpr: p.roc.tpr },
  );
  return `<section><h2>Discrimination</h2>
<p>The area under the ROC curve (AUC) is the probability that a patient with ALN metastasis receives a higher score
than one without. 0.5 is chance, 1 is perfect. Intervals are 95% DeLong confidence intervals.</p>
<div class="two-col"><div>${table(['Site', 'Test cases', 'AUC', '95% CI'], rows)}
<p class="note">Pooled figures combine all sites' test cases from histograms of their scores, merged until every bin holds no case
or at least k of a class (privacy rule); the merging can move the pooled AUC by at most ${e(num(p.auc_binning_error_bound, 4))}.</p></div>
<figure>${roc}</figure></div></section>`;
}

function utilitySection(card: ModelCard): string {
  const d = card.pooled.decision_curve;
  const ref = card.reference_study;
  const rows = card.sites.map((s) => [e(s.name), e(range(s.net_benefit_range))]);
  rows.push(['<strong>Pooled</strong>', `<strong>${e(range(d.range))}</strong>`]);
  const policy = card.release.policy;
  return `<section><h2>Clinical usefulness (decision curve)</h2>
<p>At a risk threshold <em>t</em> a clinician acts (for example, proceeds to axillary biopsy) when the predicted probability is at
least <em>t</em>. Net benefit counts true positives minus false positives weighted by the odds <em>t</em>/(1−<em>t</em>). The model is useful
where its curve lies above both <em>treat all</em> and <em>treat none</em> (shaded).</p>
<div class="two-col"><figure>${decisionCurveSvg(d, card.pooled.prevalence)}</figure>
<div>${table(['Site', 'Risk thresholds with net benefit'], rows)}
${policy ? `<p class="note">Release policy: net benefit above both at ${e(range(policy.dca_range))}.</p>` : ''}
<p class="note">Reference study: ${e(range(ref.net_benefit_range, 4))} (${e(ref.citation)}).</p></div></div></section>`;
}

function calibrationSection(card: ModelCard): string {
  const rows = card.sites.map((s) => [
    e(s.name),
    e(num(s.calibration_intercept)),
    e(num(s.calibration_slope)),
    e(num(s.brier)),
  ]);
  return `<section><h2>Calibration</h2>
<p>Whether predicted probabilities match observed frequencies at each site. Ideal: intercept 0 (no overall over- or
under-estimation) and slope 1 (predictions neither too extreme nor too timid). The Brier score is the mean squared error of the
probabilities (lower is better).</p>
${table(['Site', 'Calibration intercept', 'Calibration slope', 'Brier score'], rows)}</section>`;
}

function featureSection(card: ModelCard): string {
  const ref = card.reference_study;
  const sites = card.sites.filter((s) => s.feature_model !== null);
  const fm = card.feature_model;
  if (fm === null && sites.length === 0)
    return `<section><h2>Comparison with the ultrasound-feature model</h2><p>Not available: the sites' labels.csv files do not have the four feature columns.</p></section>`;
  const comparison = table(
    ['Site', `${card.model.arch} AUC`, 'Feature-model AUC', '95% CI', 'DeLong p (paired)'],
    sites.map((s) => [
      e(s.name),
      e(num(s.auc)),
      e(num(s.feature_model!.auc)),
      e(ci(s.feature_model!.auc_ci)),
      e(pValue(s.feature_model!.p_vs_model)),
    ]),
  );
  const coefficients = fm
    ? table(
        ['Covariate', 'Coefficient', 'SE', 'Odds ratio', 'p'],
        fm.covariates.map((c, j) => [
          e(COVARIATE_LABELS[c] ?? c),
          e(num(fm.coefficients[j])),
          e(num(fm.std_errors[j])),
          // exp(intercept) is the baseline odds, not an odds ratio.
          e(c === FEATURE_MODEL_INTERCEPT ? '—' : num(fm.odds_ratios[j], 2)),
          e(pValue(fm.p[j] ?? null)),
        ]),
      )
    : '';
  return `<section><h2>Comparison with the ultrasound-feature model</h2>
<p>The four radiologist features (lesion size, non-parallel orientation, echogenic halo, spiculation) in one logistic model, fitted
across the sites without sharing patient rows. Each site compares both models on its own test cases. Reference study: DenseNet201
${e(ref.densenet201_test_auc)} vs features ${e(ref.feature_model_auc)}.</p>
${comparison}
${coefficients ? `<h3>Federated feature model</h3>${coefficients}` : ''}</section>`;
}

function verdictSection(card: ModelCard): string {
  const v = card.release.verdict;
  if (v === null) return '';
  const status = v.pass
    ? '<p class="pass">Passed the release policy.</p>'
    : `<p class="fail">Failed the release policy; released by the consortium lead with the reason: “${e(card.release.override_reason ?? '')}”.</p>`;
  const reasons = v.reasons.map((r) => `<li>${e(r.message)}</li>`).join('');
  return `<section><h2>Release verdict</h2>${status}${reasons ? `<ul>${reasons}</ul>` : ''}</section>`;
}

/**
 * The card as a complete HTML document (UTF-8, A4-printable).
 *
 * @example fs.writeFileSync('card.html', renderModelCardHtml(buildModelCard(input)))
 */
export function renderModelCardHtml(card: ModelCard): string {
  const u = card.intended_use;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${e(card.title)} — model card</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CARD_CSS}</style></head>
<body><main>
<header><h1>${e(card.title)}</h1>
<p class="subtitle">Model card · study ${e(card.release.study_id)} · round ${e(card.release.round)} · ${e(when(card.release.created_at))}</p>
${card.data_source === 'phantom' ? '<p class="banner">Demonstration only — trained and evaluated on synthetic phantom images. Not for clinical use.</p>' : ''}
</header>
<section><h2>Intended use</h2><p>${e(u.summary)}</p><p><strong>Users:</strong> ${e(u.users)}</p>
<p><strong>Not for:</strong></p><ul>${u.not_for.map((x) => `<li>${e(x)}</li>`).join('')}</ul></section>
${sitesSection(card)}
${discriminationSection(card)}
${utilitySection(card)}
${calibrationSection(card)}
${featureSection(card)}
${comparisonSection(card.comparison)}
${verdictSection(card)}
${trainingSection(card)}
${privacySection(card.privacy)}
<section><h2>Limitations</h2><ul>${card.limitations.map((x) => `<li>${e(x)}</li>`).join('')}</ul></section>
<footer>Generated by the FedALN coordinator from aggregate site reports; no patient-level data is contained in this card.</footer>
</main></body></html>
`;
}
