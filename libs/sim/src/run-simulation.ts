/**
 * A simulated study (issue 15, "a simulation harness"): for each seed, the cohort, the run's
 * initial network, the four-feature model, and every strategy trained from the same start and
 * evaluated on the sites' test splits and the external sites. In one process, with the real
 * federation's training and aggregation code and no sockets.
 */
import { FEATURE_MODEL_TERMS } from '@fedaln/metrics';
import { featureRows, fitAcrossSites, type SiteRows } from './clinical-models';
import { evaluateStrategy, type StrategyEvaluation } from './evaluate-strategy';
import type { LearningRateSchedule } from './learning-rate-schedule';
import { labelsOf, type SimCohort } from './sim-cohort';
import { type LocalTraining, SimNetwork } from './sim-network';
import { STRATEGY_LABELS, type StrategyName, type StrategyOptions } from './strategy';
import { summariseStrategies, type StrategySummary } from './strategy-summary';
import { trainStrategy } from './train-strategy';

export interface SimSettings {
  strategies: readonly StrategyName[];
  rounds: number;
  seeds: readonly number[];
  training: LocalTraining;
  /** FedProx's μ and FedAdam's server settings (default DEFAULT_STRATEGY_OPTIONS). */
  strategyOptions?: StrategyOptions;
  /** The learning rate round by round (default constant). */
  schedule?: LearningRateSchedule;
  /** External sites adapt every strategy's model by AdaBN, not only FedBN's (default false). */
  adaptExternal?: boolean;
  /** How the cohort was made (phantom settings or site folders): copied into the report. */
  data: Readonly<Record<string, unknown>>;
}

export interface StrategyResult extends StrategyEvaluation {
  strategy: StrategyName;
  label: string;
  /** Wall-clock seconds of training and evaluation. */
  seconds: number;
}

export interface SeedResult {
  seed: number;
  cases: {
    sites: { site: string; train: number; validation: number; test: number; test_pos: number }[];
    external: { site: string; n: number; n_pos: number }[];
  };
  /** The four-feature model's coefficients (FEATURE_MODEL_TERMS order); null without feature columns. */
  feature_model: { terms: readonly string[]; coefficients: number[] } | null;
  strategies: StrategyResult[];
}

export interface SimReport {
  /** Report format version. */
  fedaln_sim: 1;
  settings: SimSettings;
  seeds: SeedResult[];
  /** Per strategy, across seeds. */
  summary: StrategySummary[];
  seconds: number;
}

/** Makes the cohort of a seed (phantom: new cases per seed; site folders: the same cases). */
export type CohortSource = (seed: number) => SimCohort | Promise<SimCohort>;

async function featureModel(cohort: SimCohort): Promise<number[] | null> {
  const sites: SiteRows[] = [];
  for (const s of cohort.sites) {
    const cases = [...s.train, ...s.validation];
    const rows = featureRows(cases);
    if (rows === null) return null;
    sites.push({ rows, y: labelsOf(cases) });
  }
  return fitAcrossSites(sites);
}

/**
 * @example
 * const report = await runSimulation((seed) => phantomCohort({ ...o, seed }), settings, console.error);
 */
export async function runSimulation(
  cohortOf: CohortSource,
  settings: SimSettings,
  log: (line: string) => void = () => undefined,
): Promise<SimReport> {
  const started = Date.now();
  const seeds: SeedResult[] = [];
  for (const seed of settings.seeds) {
    const cohort = await cohortOf(seed);
    const features = await featureModel(cohort);
    const network = new SimNetwork(settings.training, seed);
    const strategies: StrategyResult[] = [];
    try {
      for (const name of settings.strategies) {
        const t0 = Date.now();
        const models = await trainStrategy(name, network, cohort.sites, {
          rounds: settings.rounds,
          seed,
          ...(settings.strategyOptions ? { options: settings.strategyOptions } : {}),
          ...(settings.schedule ? { schedule: settings.schedule } : {}),
          ...(settings.adaptExternal ? { adaptExternal: true } : {}),
          log: (line) => log(`seed ${seed} ${line}`),
        });
        const evaluation = await evaluateStrategy(network, cohort, models, features);
        const seconds = (Date.now() - t0) / 1000;
        log(
          `seed ${seed} ${name}: external AUC ${evaluation.external.dl.auc?.toFixed(3)}, ` +
            `pooled test AUC ${evaluation.pooled_test.dl.auc?.toFixed(3)}, ` +
            `validation AUC ${evaluation.pooled_validation.auc?.toFixed(3)} (${seconds.toFixed(0)} s)`,
        );
        strategies.push({ strategy: name, label: STRATEGY_LABELS[name], seconds, ...evaluation });
      }
    } finally {
      network.dispose();
    }
    seeds.push({
      seed,
      cases: {
        sites: cohort.sites.map((s) => ({
          site: s.name,
          train: s.train.length,
          validation: s.validation.length,
          test: s.test.length,
          test_pos: s.test.filter((c) => c.label === 1).length,
        })),
        external: cohort.external.map((s) => ({
          site: s.name,
          n: s.cases.length,
          n_pos: s.cases.filter((c) => c.label === 1).length,
        })),
      },
      feature_model: features && { terms: FEATURE_MODEL_TERMS, coefficients: features },
      strategies,
    });
  }
  return {
    fedaln_sim: 1,
    settings,
    seeds,
    summary: summariseStrategies(seeds),
    seconds: (Date.now() - started) / 1000,
  };
}
