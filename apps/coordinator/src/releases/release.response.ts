import type { SiteDataDisagreement } from '../evaluation/site-data-disagreement';
import { mapScreening, type ScreeningResponse } from '../rounds/round.response';
import type { SiteMetricsReport } from '@fedaln/protocol';
import type { ReleaseVerdict } from '../evaluation/release-policy';
import type { ReleaseRecord } from './release-record';
import type { RecordedVerdict } from './release.repository';
import type { RoundEvaluation } from '../evaluation/round-evaluation.service';

/** A release as the API shows it (the signed record, field by field, plus its download paths). */
export interface ReleaseResponse {
  version: number;
  study_id: string;
  round: number;
  weights_sha256: string;
  /** Absent on releases made before the record carried it (their model card has it). */
  model: { arch: string; input_size: number } | null;
  sites: { site_id: string; name: string; n_train: number; n_test: number }[];
  metrics: ReleaseRecord['metrics'];
  verdict: ReleaseVerdict;
  override_reason: string | null;
  created_at: string;
  signature: string;
  ed25519_public_key: string;
  /**
   * The signed manifest's canonical text (a string, so its signed bytes survive any JSON parser on
   * the way), the Ed25519 signature over it, and its sha256; null on releases made before manifests.
   */
  manifest: string | null;
  manifest_signature: string | null;
  manifest_sha256: string | null;
  links: {
    weights: string;
    model_json: string;
    card_json: string;
    card_html: string;
    manifest: string | null;
  };
}

/** @example mapRelease(record).links.weights // '/api/releases/1/weights' */
export function mapRelease(r: ReleaseRecord): ReleaseResponse {
  const base = `/api/releases/${r.version}`;
  return {
    version: r.version,
    study_id: r.study_id,
    round: r.round,
    weights_sha256: r.weights_sha256,
    model: r.model ? { arch: r.model.arch, input_size: r.model.input_size } : null,
    sites: r.sites.map((s) => ({ site_id: s.site_id, name: s.name, n_train: s.n_train, n_test: s.n_test })),
    metrics: r.metrics,
    verdict: r.verdict,
    override_reason: r.override_reason,
    created_at: r.created_at,
    signature: r.signature,
    ed25519_public_key: r.ed25519_public_key,
    manifest: r.manifest?.text ?? null,
    manifest_signature: r.manifest?.signature ?? null,
    manifest_sha256: r.manifest?.sha256 ?? null,
    links: {
      weights: `${base}/weights`,
      model_json: `${base}/model.json`,
      card_json: `${base}/card.json`,
      card_html: `${base}/card.html`,
      manifest: r.manifest ? `${base}/manifest.json` : null,
    },
  };
}

export interface VerdictResponse extends ReleaseVerdict {
  recorded_at: string;
}

const mapVerdict = (v: RecordedVerdict): VerdictResponse => ({
  ...v.verdict,
  recorded_at: v.recordedAt.toISOString(),
});

export interface RoundMetricsResponse {
  study_id: string;
  round: number;
  round_state: string;
  sites: {
    site_id: string;
    name: string;
    model_version: number;
    received_at: string;
    report: SiteMetricsReport;
    /** The four-feature logistic model on the same test cases, where the site reported it. */
    feature_baseline: { auc: number | null; p_vs_model: number | null } | null;
    /** The report on the site's validation cases (issue 15), or null. */
    validation: SiteMetricsReport | null;
  }[];
  /** Stored reports that fail the study's checks: not pooled, not in the verdict. */
  refused_reports: { site_id: string; name: string; received_at: string; reason: string }[];
  pooled: RoundEvaluation['pooled'];
  /** The sites' validation reports pooled (issue 15: selects the release candidate), or null. */
  pooled_validation: RoundEvaluation['pooledValidation'];
  verdict: VerdictResponse | null;
  /** Issue 13: each site's update as screening saw it (verdict and the numbers it rests on). */
  screening: ({ site_id: string } & ScreeningResponse)[];
  /**
   * Issue 13: each site's data-disagreement test (its train labels given the four features against
   * the federation's feature model; `flagged` when p < threshold). The study's, the same every round.
   */
  data_disagreement: SiteDataDisagreement[];
}

/** @example mapRoundMetrics(await evaluation.get(studyId, 1)).pooled?.decision_curve */
export function mapRoundMetrics(e: RoundEvaluation): RoundMetricsResponse {
  return {
    study_id: e.studyId,
    round: e.round,
    round_state: e.roundState,
    sites: e.sites.map((s) => ({
      site_id: s.siteId,
      name: s.name,
      model_version: s.modelVersion,
      received_at: s.receivedAt,
      report: s.report,
      feature_baseline: s.report.paired && { auc: s.report.paired.auc_b, p_vs_model: s.report.paired.p },
      validation: s.validation,
    })),
    refused_reports: e.refused.map((r) => ({
      site_id: r.siteId,
      name: r.name,
      received_at: r.receivedAt,
      reason: r.reason,
    })),
    pooled: e.pooled,
    pooled_validation: e.pooledValidation,
    verdict: e.verdict && mapVerdict(e.verdict),
    screening: e.screening.map((s) => ({ site_id: s.siteId, ...mapScreening(s.screening) })),
    data_disagreement: e.dataDisagreement.map((d) => ({ ...d })),
  };
}

/** @example mapVerdicts(await verdicts.list(studyId)) */
export function mapVerdicts(vs: readonly RecordedVerdict[]): (VerdictResponse & { round: number })[] {
  return vs.map((v) => ({ round: v.round, ...mapVerdict(v) }));
}
