import { describe, expect, it } from '@jest/globals';
import {
  auc,
  clinicalFeatureRows,
  decisionCurve,
  logisticPredict,
  logisticSufficientStats,
  pooledModelComparison,
  releasedReport,
  siteModelComparison,
} from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { fitStudyFeatureModel } from '../../evaluation/feature-model';
import { compareAcrossSites, COMPARISON_METHOD } from '../../evaluation/model-comparison-phase';
import { evaluateReleasePolicy } from '../../evaluation/release-policy';
import { buildModelCard, type ModelCardInput } from './model-card';
import { renderModelCardHtml } from './model-card-html';
import { modelCardPrivacy } from './model-card-privacy';
import { roundPrivacyLedger } from '../../domain/study-privacy-budget';

/** A seeded site: four-feature rows, labels from a logistic truth with an image-only factor, and a CNN-like score. */
function makeSite(seed: number, n: number, offset: number) {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
  const expit = (x: number) => 1 / (1 + Math.exp(-x));
  const rows: Record<string, unknown>[] = [];
  const labels: number[] = [];
  const cnn: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = Math.round(19 * Math.exp(0.42 * normal()) * 10) / 10;
    const np = rng.nextFloat() < 0.3 ? 1 : 0;
    const halo = rng.nextFloat() < 0.28 ? 1 : 0;
    const spic = rng.nextFloat() < 0.2 ? 1 : 0;
    const eta =
      -2.4 + offset + (1.39 * (size - 20)) / 10 + 2 * np + 1.7 * halo + 2.16 * spic + 1.64 * normal();
    labels.push(rng.nextFloat() < expit(eta) ? 1 : 0);
    cnn.push(expit(0.9 * eta + 0.6 * normal()));
    rows.push({
      size_mm: size,
      orientation: np ? 'non-parallel' : 'parallel',
      echogenic_halo: halo,
      spiculation: spic,
    });
  }
  return { X: clinicalFeatureRows(rows), labels, cnn };
}

/** What a site sends: the released report (privacy rule, k = 5). */
function siteReport(labels: number[], scores: number[], scoresB: number[] | undefined): SiteMetricsReport {
  return releasedReport({ labels, scores, ...(scoresB ? { scores_b: scoresB } : {}) });
}

async function federation(names: string[]) {
  const sites = names.map((name, i) => ({
    name,
    train: makeSite(10 + i, 240, i * 0.3 - 0.3),
    test: makeSite(20 + i, 60, i * 0.3 - 0.3),
  }));
  // The feature model as the coordinator fits it: each site answers features:stats from its train rows.
  const answer = (s: (typeof sites)[number]) => (req: { beta: number[] }) => {
    const stats = logisticSufficientStats(s.train.X, s.train.labels, req.beta);
    return Promise.resolve({
      ok: true as const,
      stats: { ...stats, information: Array.from(stats.information), score: Array.from(stats.score) },
    });
  };
  const fm = await fitStudyFeatureModel(
    'aln-2026',
    sites.map((s) => [s.name, answer(s)] as const),
    { info: () => undefined },
  );
  const input: ModelCardInput = {
    release: {
      version: 2,
      study_id: 'aln-2026',
      study_name: 'ALN consortium demo',
      round: 5,
      weights_sha256: 'ab'.repeat(32),
      signature: 'c2lnbmF0dXJl',
      ed25519_public_key: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
      created_at: '2026-11-27T05:00:00.000Z',
      verdict: { pass: true, reasons: [], sites: [], sites_passing: 3, sites_required: 3 },
      override_reason: null,
      manifest: null,
      manifest_signature: null,
      manifest_sha256: null,
    },
    model: { arch: 'densenet201', input_size: 224 },
    training: { rounds: 5, strategy: 'fedavg', local_epochs: 1, batch_size: 8, learning_rate: 1e-4 },
    data_source: 'phantom',
    policy: { min_site_auc: 0.7, min_pooled_auc: 0.75, dca_range: [0.17, 0.6], min_sites_passing: 'all' },
    sites: sites.map((s, i) => ({
      site_id: `site-${i + 1}`,
      name: s.name,
      n_train: s.train.labels.length,
      engine: i === 0 ? 'tensorflow-gpu' : 'wasm',
      report: siteReport(s.test.labels, s.test.cnn, logisticPredict(s.test.X, fm!.coefficients)),
    })),
    feature_model: fm,
  };
  return { sites, input };
}

describe('buildModelCard', () => {
  it('pooled figures from counts: the decision curve of all test cases, the AUC within its bound', async () => {
    const { sites, input } = await federation(['North', 'South', 'East']);
    const card = buildModelCard(input);
    const labels = sites.flatMap((s) => s.test.labels);
    const scores = sites.flatMap((s) => s.test.cnn);
    // References: decisionCurve and auc of the concatenated predictions (numpy- and sklearn-checked);
    // the pooled figures are within their stated bounds (pooled-decision-curve.ts, pooled-auc.ts).
    const exact = decisionCurve(labels, scores);
    const dca = card.pooled.decision_curve;
    expect([dca.thresholds, dca.treat_all]).toEqual([exact.thresholds, exact.treat_all]);
    dca.net_benefit.forEach((nb, j) =>
      expect(Math.abs(nb - exact.net_benefit[j]!)).toBeLessThanOrEqual(
        dca.net_benefit_error_bound[j]! + 1e-12,
      ),
    );
    expect(Math.abs(card.pooled.auc! - auc(labels, scores)!)).toBeLessThanOrEqual(
      card.pooled.auc_binning_error_bound! + 1e-12,
    );
    expect(card.pooled).toMatchObject({ n: 180, n_pos: labels.filter((y) => y === 1).length, bins: 100 });
    expect(card.pooled.auc_ci![0]).toBeLessThan(card.pooled.auc!);
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });

  it('per site: AUC and CI as reported, the feature model from the paired comparison', async () => {
    const { input } = await federation(['North', 'South']);
    const card = buildModelCard(input);
    const r = input.sites[1]!.report;
    expect(card.sites[1]).toMatchObject({
      name: 'South',
      auc: r.auc,
      auc_ci: r.auc_ci,
      n_test: 60,
      n_train: 240,
    });
    const half = 1.959963984540054 * Math.sqrt(r.paired!.delong_var_b!);
    expect(card.sites[1]!.feature_model!.auc_ci![0]).toBeCloseTo(r.paired!.auc_b! - half, 12);
    expect(card.sites[1]!.feature_model!.p_vs_model).toBe(r.paired!.p);
    expect(card.feature_model!.odds_ratios[1]).toBeCloseTo(
      Math.exp(input.feature_model!.coefficients[1]!),
      12,
    );
    expect(card.training).toMatchObject({ engines: ['tensorflow-gpu', 'wasm'], sites: 2, n_train: 480 });
    expect(card.limitations[0]).toMatch(/^These results come from synthetic \(phantom\)/);
  });
});

describe('the comparison of DL, four features and combined (issue 15)', () => {
  /** The record the coordinator stores: each site's answer computed from its test scores, pooled. */
  async function withComparison(names: string[]) {
    const { sites, input } = await federation(names);
    const fm = input.feature_model!.coefficients;
    const combined = [-0.2, 0.8, 0.03, 0.5, 0.6, 0.7];
    const answers = sites.map((s) => {
      const features = logisticPredict(s.test.X, fm);
      const dlLogit = s.test.cnn.map((p) => Math.log(p / (1 - p)));
      const comb = logisticPredict(
        s.test.X.map((row, i) => [dlLogit[i]!, ...row]),
        combined,
      );
      return siteModelComparison(s.test.labels, { dl: s.test.cnn, features, combined: comb }, 5);
    });
    const record = await compareAcrossSites(
      { study_id: 'aln-2026', round: 5, feature_model: [...fm], combined, min_cell_count: 5 },
      input.release.weights_sha256,
      answers.map((a, i) => [`site-${i + 1}`, async () => ({ ok: true as const, comparison: a })] as const),
      new Map(input.sites.map((s) => [s.site_id, s.report])),
      { info: () => undefined },
    );
    return { input: { ...input, comparison: record }, answers };
  }

  it('the card shows the pooled comparison (pooledModelComparison of the sites’ answers) and each site’s own', async () => {
    const { input, answers } = await withComparison(['North', 'South', 'East']);
    const card = buildModelCard(input);
    expect(card.comparison!.pooled).toEqual(pooledModelComparison(answers));
    expect(card.comparison!.method).toBe(COMPARISON_METHOD);
    expect(card.comparison!.sites.map((s) => [s.name, s.comparison])).toEqual(
      ['North', 'South', 'East'].map((n, i) => [n, pooledModelComparison([answers[i]!])]),
    );
    expect(card.comparison!.pooled!.differences.map((d) => `${d.a}-${d.b}`)).toEqual([
      'combined-features',
      'dl-features',
      'combined-dl',
    ]);
    expect(card.comparison!.caveats.join(' ')).toMatch(/not the AUC of the pooled population/);
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
    const html = renderModelCardHtml(card);
    expect(html).toContain('<h2>DL score, four features and the combined model</h2>');
    const d = card.comparison!.pooled!.differences[0]!;
    expect(html).toContain(`${d.difference >= 0 ? '+' : '−'}${Math.abs(d.difference).toFixed(3)}`);
    expect(html).toContain('Pooled (3 sites)');
  });

  it('a card without a comparison (every release before issue 15) has no such field or section', async () => {
    const { input } = await federation(['North', 'South']);
    const card = buildModelCard(input);
    expect('comparison' in card).toBe(false);
    expect(renderModelCardHtml(card)).not.toContain('four features and the combined model');
  });
});

describe('renderModelCardHtml', () => {
  it('escapes every inserted text: a hostile site name stays text', async () => {
    const hostile = `<script>alert("x")</script> & O'Brien`;
    const { input } = await federation([hostile, 'South']);
    const html = renderModelCardHtml(buildModelCard(input));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#39;Brien');
  });

  it('the fitted feature model (fitStudyFeatureModel) shows its intercept without an odds ratio', async () => {
    const { input } = await federation(['North', 'South']);
    const html = renderModelCardHtml(buildModelCard(input));
    // exp(intercept) is the baseline odds, not an odds ratio: the row shows "—" in that column.
    expect(html).toMatch(/<tr><td>Intercept<\/td><td>-?\d+\.\d{3}<\/td><td>\d+\.\d{3}<\/td><td>—<\/td>/);
    expect(html).toMatch(
      /<tr><td>Size \(per mm\)<\/td><td>-?\d+\.\d{3}<\/td><td>\d+\.\d{3}<\/td><td>\d+\.\d{2}<\/td>/,
    );
  });

  it('is self-contained: inline CSS and two inline SVG charts, nothing fetched', async () => {
    const { input } = await federation(['North', 'South', 'East']);
    const html = renderModelCardHtml(buildModelCard(input));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/\s(src|href)=|@import|url\(http/i);
    expect(html).toContain('Not for clinical use');
    for (const heading of [
      'Intended use',
      'Discrimination',
      'Clinical usefulness',
      'Calibration',
      'ultrasound-feature model',
      'Limitations',
    ])
      expect(html).toContain(heading);
  });

  it('clinical data: no synthetic banner; no feature columns: says so', async () => {
    const { input } = await federation(['North', 'South']);
    const clinical: ModelCardInput = {
      ...input,
      data_source: 'clinical',
      feature_model: null,
      sites: input.sites.map((s) => ({ ...s, report: { ...s.report, paired: null } })),
    };
    const html = renderModelCardHtml(buildModelCard(clinical));
    expect(html).not.toContain('Not for clinical use');
    expect(html).toContain('do not have the four feature columns');
    expect(html).toContain('held-out test cases of 2 participating hospitals');
  });

  it("a failing verdict released by override shows the reasons and the lead's reason", async () => {
    const { input } = await federation(['North', 'South']);
    const card = buildModelCard(input);
    // A policy no model meets: pooled AUC at least 0.99.
    const verdict = evaluateReleasePolicy(
      { ...input.policy!, min_pooled_auc: 0.99 },
      {
        sites: input.sites.map((s) => ({ site_id: s.site_id, name: s.name, report: s.report })),
        pooled: { auc: card.pooled.auc, dca: card.pooled.decision_curve },
      },
    );
    expect(verdict.pass).toBe(false);
    const html = renderModelCardHtml(
      buildModelCard({
        ...input,
        release: { ...input.release, verdict, override_reason: 'Small test sets <n=60>; CI includes 0.75' },
      }),
    );
    expect(html).toContain('Failed the release policy');
    expect(html).toContain(`is below the minimum pooled AUC 0.99`);
    expect(html).toContain('Small test sets &lt;n=60&gt;; CI includes 0.75');
  });

  it('a dp study: the card prints ε per patient, the settings and whether noise was added (issue 16)', async () => {
    const { input } = await federation(['North', 'South']);
    const dp = { noise_multiplier: 1.3, clip_norm: 1, sampling_rate: 0.02, max_epsilon: 8, delta: 1e-5 };
    const ledger = roundPrivacyLedger({ local_epochs: 1, dp, sites: ['n', 's'] }, [
      { number: 1, attempt: 1, state: 'completed' },
    ]);
    const privacy = modelCardPrivacy({ dp }, ledger.get(1)!)!;
    const card = buildModelCard({ ...input, privacy });
    expect(card.privacy).toMatchObject({ steps: 50, noise_added: true, max_epsilon: 8, delta: 1e-5 });
    expect(card.privacy!.epsilon).toBe(ledger.get(1)!.sites[0]!.epsilon);
    const html = renderModelCardHtml(card);
    expect(html).toContain('<h2>Differential privacy</h2>');
    expect(html).toContain(`<strong>ε = ${card.privacy!.epsilon.toFixed(3)}</strong> at δ = 0.00001`);
    expect(html).toContain('trained with patient-level DP-SGD');
    const accountingOnly = modelCardPrivacy(
      { dp: { ...dp, accounting_only: true } },
      { ...ledger.get(1)!, noiseAdded: false },
    );
    expect(renderModelCardHtml(buildModelCard({ ...input, privacy: accountingOnly }))).toContain(
      'Accounting only: the sites trained without noise',
    );
    // Without dp: no privacy entry and no section.
    expect(buildModelCard(input)).not.toHaveProperty('privacy');
    expect(renderModelCardHtml(buildModelCard(input))).not.toContain('Differential privacy');
  });
});
