/**
 * A simulated study's strategies across seeds: per seed and averaged, the external AUC (with its
 * DeLong CI), the recalibrated external calibration slope, the network's and the combined model's
 * paired DeLong differences from the four-feature model, and the comparisons a consortium plans with:
 * the ratio to centralised training and the margin over the best local-only model.
 */
import type { RecalibrationMethod } from '@fedaln/metrics';
import type { AucDifference } from './score-summary';
import type { StrategyName } from './strategy';
import type { SeedResult } from './run-simulation';

export interface PerSeed<T> {
  seed: number;
  value: T;
}

export interface StrategySummary {
  strategy: StrategyName;
  label: string;
  external_auc: PerSeed<{ auc: number | null; auc_ci: [number, number] | null; model: string }>[];
  external_auc_mean: number | null;
  pooled_test_auc_mean: number | null;
  /** The network's AUC on the sites' pooled validation cases, mean over seeds (for choosing settings). */
  pooled_validation_auc_mean: number | null;
  /** External AUC of the release as shipped, mean over seeds, where external sites adapt it (else null). */
  external_unadapted_auc_mean: number | null;
  /** Pooled external calibration slope after recalibration, mean over seeds. */
  external_calibration_slope_mean: number | null;
  /** How the headline model's score was recalibrated, per seed (the closed test's choice; null: none fitted). */
  external_recalibration: PerSeed<RecalibrationMethod | null>[];
  dl_minus_features: PerSeed<AucDifference | null>[];
  combined_minus_features: PerSeed<AucDifference | null>[];
  /** Mean external AUC over centralised training's; null without central in the run. */
  ratio_to_central: number | null;
  /** Mean over seeds of (external AUC − the best local-only model's external AUC); null without local. */
  minus_best_local: number | null;
}

/** Mean of the non-null values; null when there are none. @example mean([1, null, 3]) // 2 */
export function mean(values: readonly (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** @example summariseStrategies(report.seeds)[0].external_auc_mean */
export function summariseStrategies(seeds: readonly SeedResult[]): StrategySummary[] {
  const names = [...new Set(seeds.flatMap((s) => s.strategies.map((r) => r.strategy)))];
  const externalAuc = (seed: SeedResult, name: StrategyName): number | null =>
    seed.strategies.find((r) => r.strategy === name)?.external.dl.auc ?? null;
  const centralMean = mean(seeds.map((s) => externalAuc(s, 'central')));
  return names.map((name) => {
    const runs = seeds.flatMap((s) => {
      const r = s.strategies.find((x) => x.strategy === name);
      return r ? [{ seed: s.seed, r, local: externalAuc(s, 'local') }] : [];
    });
    const externalMean = mean(runs.map(({ r }) => r.external.dl.auc));
    return {
      strategy: name,
      label: runs[0]!.r.label,
      external_auc: runs.map(({ seed, r }) => ({
        seed,
        value: { auc: r.external.dl.auc, auc_ci: r.external.dl.auc_ci, model: r.external.model },
      })),
      external_auc_mean: externalMean,
      pooled_test_auc_mean: mean(runs.map(({ r }) => r.pooled_test.dl.auc)),
      pooled_validation_auc_mean: mean(runs.map(({ r }) => r.pooled_validation.auc)),
      external_unadapted_auc_mean: mean(
        runs.map(({ r }) => r.external_by_model.find((m) => m.model === r.external.model)?.unadapted_auc),
      ),
      external_calibration_slope_mean: mean(
        runs.map(({ r }) => r.external.dl_recalibrated.calibration_slope),
      ),
      external_recalibration: runs.map(({ seed, r }) => ({
        seed,
        value: r.recalibration.find((g) => g.model === r.external.model)?.choice?.method ?? null,
      })),
      dl_minus_features: runs.map(({ seed, r }) => ({ seed, value: r.external.dl_vs_features })),
      combined_minus_features: runs.map(({ seed, r }) => ({ seed, value: r.external.combined_vs_features })),
      ratio_to_central: externalMean !== null && centralMean ? externalMean / centralMean : null,
      minus_best_local: mean(
        runs.map(({ r, local }) =>
          r.external.dl.auc !== null && local !== null ? r.external.dl.auc - local : null,
        ),
      ),
    };
  });
}
