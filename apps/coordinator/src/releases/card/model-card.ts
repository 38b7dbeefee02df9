/**
 * The model card of a release (DESIGN.md "Evaluation and release"), as JSON: what the model is for,
 * who trained it on what, how it discriminates, how calibrated it is, where it is clinically useful,
 * how it compares with the four-feature model, and its limits. Built only from what the coordinator
 * holds — the sites' aggregate reports — with pooled curves from their counts and histograms.
 */
import { MetricsInputError, Z_95 } from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import type { ReleasePolicySpec } from '../../domain/study-spec';
import { poolReports, pooledRocCurve } from '../../evaluation/pooled-evaluation';
import type { ReleaseVerdict } from '../../evaluation/release-policy';
import type { ModelComparisonRecord } from '../../evaluation/model-comparison-phase';
import { modelCardComparison, type ModelCardComparison } from './model-card-comparison';
import type { ModelCardPrivacy } from './model-card-privacy';
import { intendedUse, limitations, STUDY_REFERENCE, type DataSource } from './model-card-text';

export interface ModelCardInput {
  readonly release: {
    readonly version: number;
    readonly study_id: string;
    readonly study_name: string;
    readonly round: number;
    readonly weights_sha256: string;
    readonly signature: string | null;
    readonly ed25519_public_key: string | null;
    readonly created_at: string;
    readonly verdict: ReleaseVerdict | null;
    readonly override_reason: string | null;
    /** The signed manifest's canonical text, its signature and sha256 (null on releases made before manifests). */
    readonly manifest: string | null;
    readonly manifest_signature: string | null;
    readonly manifest_sha256: string | null;
  };
  readonly model: { readonly arch: string; readonly input_size: number };
  readonly training: {
    readonly rounds: number;
    readonly strategy: string;
    readonly local_epochs: number;
    readonly batch_size: number;
    readonly learning_rate: number;
  };
  /** `phantom` for the synthetic demo federation, `clinical` for real patients. */
  readonly data_source: DataSource;
  readonly policy: ReleasePolicySpec | null;
  readonly sites: readonly {
    readonly site_id: string;
    readonly name: string;
    readonly n_train: number;
    /** The training engine the site reported (tensorflow-gpu, wasm, cpu, ...). */
    readonly engine: string | null;
    /** The site's evaluation of this model; `paired` compares it with the four-feature model. */
    readonly report: SiteMetricsReport;
  }[];
  /** The federated four-feature logistic fit (fitFederatedLogistic), or null when sites lack the columns. */
  readonly feature_model: {
    readonly covariates: readonly string[];
    readonly coefficients: readonly number[];
    readonly std_errors: readonly number[];
    readonly p: readonly number[];
  } | null;
  /** ε the release cost each site's patients (model-card-privacy.ts); absent without `dp`. */
  readonly privacy?: ModelCardPrivacy | null;
  /** DL vs four features vs combined on the test splits (issue 15), when compared for the released model. */
  readonly comparison?: ModelComparisonRecord | null;
}

type Ci = [number, number] | null;

export interface ModelCardSite {
  site_id: string;
  name: string;
  engine: string | null;
  n_train: number;
  n_test: number;
  n_pos: number;
  prevalence: number | null;
  auc: number | null;
  auc_ci: Ci;
  brier: number | null;
  calibration_intercept: number | null;
  calibration_slope: number | null;
  net_benefit_range: Ci;
  roc: { fpr: number[]; tpr: number[] };
  /** The paired DeLong comparison with the four-feature model on the same test cases. */
  feature_model: { auc: number | null; auc_ci: Ci; p_vs_model: number | null } | null;
}

export interface ModelCard {
  schema: 'fedaln.model-card/1';
  title: string;
  release: ModelCardInput['release'] & { policy: ReleasePolicySpec | null };
  model: ModelCardInput['model'];
  intended_use: { summary: string; users: string; not_for: string[] };
  data_source: DataSource;
  training: ModelCardInput['training'] & { engines: string[]; sites: number; n_train: number };
  sites: ModelCardSite[];
  pooled: {
    n: number;
    n_pos: number;
    prevalence: number | null;
    /** DeLong AUC and CI of the scores binned to `bins` histogram bins, and the binning error bound. */
    auc: number | null;
    auc_ci: Ci;
    auc_binning_error_bound: number | null;
    bins: number;
    roc: { fpr: number[]; tpr: number[] };
    decision_curve: {
      thresholds: number[];
      net_benefit: number[];
      treat_all: number[];
      range: Ci;
      runs: [number, number][];
      /** |net_benefit − the exact pooled curve| ≤ this at each threshold (pooled-decision-curve.ts). */
      net_benefit_error_bound: number[];
    };
  };
  feature_model: (NonNullable<ModelCardInput['feature_model']> & { odds_ratios: number[] }) | null;
  reference_study: typeof STUDY_REFERENCE;
  limitations: string[];
  /** Present for a study with `dp` (issue 16). */
  privacy?: ModelCardPrivacy;
  /** Present when the released model was compared with the four-feature and combined models (issue 15). */
  comparison?: ModelCardComparison;
}

function ciOf(auc: number | null, variance: number | null): Ci {
  if (auc === null || variance === null) return null;
  const half = Z_95 * Math.sqrt(variance);
  return [Math.max(0, auc - half), Math.min(1, auc + half)];
}

function site(s: ModelCardInput['sites'][number]): ModelCardSite {
  const r = s.report;
  const roc = pooledRocCurve([r]);
  return {
    site_id: s.site_id,
    name: s.name,
    engine: s.engine,
    n_train: s.n_train,
    n_test: r.n,
    n_pos: r.n_pos,
    prevalence: r.prevalence,
    auc: r.auc,
    auc_ci: r.auc_ci,
    brier: r.brier,
    calibration_intercept: r.calibration.intercept,
    calibration_slope: r.calibration.slope,
    net_benefit_range: r.dca?.range ?? null,
    roc: { fpr: roc.fpr, tpr: roc.tpr },
    feature_model: r.paired && {
      auc: r.paired.auc_b,
      auc_ci: ciOf(r.paired.auc_b, r.paired.delong_var_b),
      p_vs_model: r.paired.p,
    },
  };
}

/**
 * The model card as a JSON object (`JSON.parse(JSON.stringify(card))` deep-equals it). Pooled
 * figures come from the sites' released counts (`poolReports`): the AUC of the merged histograms with
 * its error bound against the exact pooled AUC and a DeLong-type CI, the decision curve with its
 * per-threshold error bound.
 *
 * @throws MetricsInputError (from @fedaln/metrics) when the sites' grids or bins differ.
 * @example
 * const card = buildModelCard({ release, model, training, data_source: 'phantom', policy, sites, feature_model });
 * card.pooled.auc_ci; // [lo, hi]
 */
export function buildModelCard(input: ModelCardInput): ModelCard {
  const reports = input.sites.map((s) => s.report);
  const pooled = poolReports(reports);
  if (pooled === null)
    throw new MetricsInputError('no site reports; a model card needs at least one', 'sites', null);
  const { n, n_pos: nPos, roc, decision_curve: dca } = pooled;
  const engines = [
    ...new Set(input.sites.map((s) => s.engine).filter((e): e is string => e !== null)),
  ].sort();
  const fm = input.feature_model;
  return {
    schema: 'fedaln.model-card/1',
    title: `${input.release.study_name} — ${input.model.arch} v${input.release.version}`,
    release: { ...input.release, policy: input.policy },
    model: { ...input.model },
    intended_use: intendedUse(input.model.arch),
    data_source: input.data_source,
    training: {
      ...input.training,
      engines,
      sites: input.sites.length,
      n_train: input.sites.reduce((a, s) => a + s.n_train, 0),
    },
    sites: input.sites.map(site),
    pooled: {
      n,
      n_pos: nPos,
      prevalence: n > 0 ? nPos / n : null,
      auc: pooled.auc,
      auc_ci: pooled.auc_ci,
      auc_binning_error_bound: pooled.auc_error_bound,
      bins: pooled.bins,
      roc: { fpr: roc.fpr, tpr: roc.tpr },
      decision_curve: {
        thresholds: dca.thresholds,
        net_benefit: dca.net_benefit,
        treat_all: dca.treat_all,
        range: dca.range,
        runs: dca.runs,
        net_benefit_error_bound: dca.net_benefit_error_bound,
      },
    },
    feature_model: fm && {
      covariates: [...fm.covariates],
      coefficients: [...fm.coefficients],
      std_errors: [...fm.std_errors],
      p: [...fm.p],
      odds_ratios: fm.coefficients.map(Math.exp),
    },
    reference_study: STUDY_REFERENCE,
    limitations: limitations(input.data_source, input.sites.length),
    ...(input.privacy ? { privacy: input.privacy } : {}),
    ...(input.comparison
      ? {
          comparison: modelCardComparison(
            input.comparison,
            new Map(input.sites.map((s) => [s.site_id, s.name])),
          ),
        }
      : {}),
  };
}
