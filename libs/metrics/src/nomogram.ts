/**
 * The combined nomogram (issue 15): what ships beside a released model as `nomogram.json`, and how a
 * site applies it. Two logistic models on the DL score, both fitted after training by federated IRLS
 * (`fitFederatedLogistic`) on the sites' validation cases, which the network never trained on:
 *
 *   Platt recalibration (Platt 1999):  logit P(y=1) = a + b · logit(p_DL)
 *   combined model:                    logit P(y=1) = β₀ + β₁ · logit(p_DL) + β₂ size_mm + β₃ non_parallel
 *                                                     + β₄ echogenic_halo + β₅ spiculation
 *
 * p_DL is clamped to [ε, 1 − ε] (ε = {@link DL_PROBABILITY_CLAMP}) before the logit, so a saturated
 * float32 sigmoid stays finite. Pure.
 */
import { CLINICAL_COVARIATES, FEATURE_MODEL_INTERCEPT } from './clinical-features';
import { logisticPredict } from './federated-logistic';
import type { RecalibrationChoice } from './model-updating';

/** p_DL is clamped to [1e-6, 1 − 1e-6] before its logit (|logit| ≤ 13.8). */
export const DL_PROBABILITY_CLAMP = 1e-6;

/** The DL score's covariate name in both models. */
export const DL_LOGIT = 'dl_logit';

/** Terms of the Platt recalibration, intercept first. */
export const PLATT_TERMS = [FEATURE_MODEL_INTERCEPT, DL_LOGIT] as const;

/** Terms of the combined model: the DL logit, then the four ultrasound features (FEATURE_MODEL_TERMS' order). */
export const COMBINED_MODEL_TERMS = [FEATURE_MODEL_INTERCEPT, DL_LOGIT, ...CLINICAL_COVARIATES] as const;

/** `nomogram.json`'s format tag. */
export const NOMOGRAM_FORMAT = 'fedaln-nomogram/1';

/**
 * logit(clamp(p)).
 * @example dlLogit(0.5) // 0
 */
export function dlLogit(p: number): number {
  const q = Math.min(1 - DL_PROBABILITY_CLAMP, Math.max(DL_PROBABILITY_CLAMP, p));
  return Math.log(q / (1 - q));
}

/**
 * The Platt design (no intercept column): one row [logit p] per case.
 * @example plattRows([0.5, 0.75]) // [[0], [1.0986…]]
 */
export function plattRows(dl: ArrayLike<number>): number[][] {
  return Array.from(dl, (p) => [dlLogit(p)]);
}

/**
 * The combined design (no intercept column): [logit p, ...the case's feature row] per case, the
 * feature rows as `clinicalFeatureRows` gives them (size_mm, non_parallel, echogenic_halo, spiculation).
 * @example combinedRows([0.5], [[12, 1, 0, 1]]) // [[0, 12, 1, 0, 1]]
 */
export function combinedRows(dl: ArrayLike<number>, features: ReadonlyArray<ArrayLike<number>>): number[][] {
  if (dl.length !== features.length)
    throw new RangeError(`${dl.length} DL scores for ${features.length} feature rows; expected one per case`);
  return features.map((row, i) => [dlLogit(dl[i]!), ...Array.from(row)]);
}

/** A fitted logistic model as released: terms (intercept first), β, SEs and Wald p. */
export interface ReleasedLogisticModel {
  covariates: string[];
  coefficients: number[];
  std_errors: number[];
  p: number[];
}

/** The content of `nomogram.json`. */
export interface Nomogram {
  format: typeof NOMOGRAM_FORMAT;
  study_id: string;
  /** The round whose global model the DL score comes from, and that model's weights sha256. */
  round: number;
  model_sha256: string;
  platt: ReleasedLogisticModel;
  /** Null when no site had the four feature columns on its validation cases. */
  combined: ReleasedLogisticModel | null;
  /** The sites whose validation cases each fit used (the combined model: those with the features). */
  fitted_on: { platt: string[]; combined: string[] };
  /**
   * How much each model re-estimated (model-updating.ts; absent in nomograms fitted before): the
   * recalibration the closed test chose, with its likelihood-ratio tests, and whether the combined
   * model extends the study's four-feature model (`extension`: intercept shift and DL weight
   * estimated; the feature terms are the four-feature model's, standard error 0 and p 1 here) or
   * re-estimates all six terms (`full`, a study without a four-feature model). A term held fixed has
   * standard error 0 and p 1.
   */
  updating?: {
    recalibration: Pick<RecalibrationChoice, 'method' | 'tests' | 'alpha'>;
    combined: 'extension' | 'full' | null;
  };
}

const isNumbers = (v: unknown, n: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function modelProblem(v: unknown, field: string, terms: readonly string[]): string | null {
  if (typeof v !== 'object' || v === null) return `${field} is ${JSON.stringify(v)}; expected an object`;
  const m = v as Record<string, unknown>;
  if (JSON.stringify(m.covariates) !== JSON.stringify(terms))
    return `${field}.covariates is ${JSON.stringify(m.covariates)}; expected ${JSON.stringify(terms)}`;
  for (const key of ['coefficients', 'std_errors', 'p'])
    if (!isNumbers(m[key], terms.length))
      return `${field}.${key} is ${JSON.stringify(m[key])}; expected ${terms.length} finite numbers`;
  return null;
}

/**
 * What is wrong with a parsed `nomogram.json`, or null: format, the two models' terms in order and
 * finite coefficients.
 * @example nomogramProblem({ format: 'x' }) // 'nomogram.format is "x"; expected "fedaln-nomogram/1"'
 */
export function nomogramProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'nomogram is not a JSON object';
  const n = value as Record<string, unknown>;
  if (n.format !== NOMOGRAM_FORMAT)
    return `nomogram.format is ${JSON.stringify(n.format)}; expected "${NOMOGRAM_FORMAT}"`;
  return (
    modelProblem(n.platt, 'nomogram.platt', PLATT_TERMS) ??
    (n.combined === null ? null : modelProblem(n.combined, 'nomogram.combined', COMBINED_MODEL_TERMS))
  );
}

/** A site's three probabilities for one case. */
export interface NomogramPrediction {
  dl: number;
  recalibrated: number;
  /** Null without the case's four features, or without a combined model. */
  combined: number | null;
}

/**
 * The DL probability, its Platt recalibration, and the combined model's probability where the case's
 * features ([size_mm, non_parallel, echogenic_halo, spiculation]) are given.
 *
 * @example
 * nomogramPredict(n, 0.8, [14, 1, 0, 1]); // { dl: 0.8, recalibrated: …, combined: … }
 */
export function nomogramPredict(
  nomogram: Pick<Nomogram, 'platt' | 'combined'>,
  dl: number,
  features: ArrayLike<number> | null,
): NomogramPrediction {
  const recalibrated = logisticPredict(plattRows([dl]), nomogram.platt.coefficients)[0]!;
  const combined =
    features && nomogram.combined
      ? logisticPredict(combinedRows([dl], [features]), nomogram.combined.coefficients)[0]!
      : null;
  return { dl, recalibrated, combined };
}
