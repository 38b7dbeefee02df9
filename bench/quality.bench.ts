// `npm run bench -- quality [--json] [--rounds 4] [--epochs 2] [--seeds 1,2] [--cases 324]
// [--sites 3] [--external-cases 300] [--strategies central,local,fedavg,fedprox,fedbn,fedadam]
// [--primary fedavg]`: issue 15's acceptance run. fedaln-sim's harness (libs/sim) on phantom data
// generated in process: 3 sites × 324 cases (the seed study's size, 8:2 split, a fifth of each
// site's training cases held out for recalibration and the combined model), densenet-tiny at 64 px
// (the demo's), every strategy with the same budget of rounds × epochs, two seeds, and 3 × 300
// cases of new phantom sites (seed + 1000) that never trained. Prints, per strategy, the external
// AUC with its DeLong CI per seed, and the targets checked on the `--primary` federated strategy
// (also given for every federated strategy):
//   ratio_fed_vs_central     mean external AUC / centralised's      ≥ 0.98
//   fed_minus_best_local     − the best local-only model's          > 0
//   dl_minus_features        paired DeLong vs the four-feature model ≥ 0.03, p < 0.05 on every seed
//   combined_minus_features  [DL logit + features] vs features       ≥ 0.02, p < 0.05 on every seed
//   calibration_slope        pooled external slope after Platt      0.8–1.25
import { selectEngine } from '@fedaln/model';
import {
  FEDERATED,
  parseStrategies,
  phantomCohort,
  runSimulation,
  type StrategyName,
  type StrategySummary,
} from '@fedaln/sim';
import { benchFlags } from './support/flags';

const flags = benchFlags({
  json: false,
  rounds: 4,
  epochs: 2,
  seeds: '1,2',
  sites: 3,
  cases: 324,
  'external-cases': 300,
  size: 64,
  strategies: 'central,local,fedavg,fedprox,fedbn,fedadam',
  primary: 'fedavg',
});

interface Target {
  value: number | null;
  target: string;
  met: boolean;
}

const target = (value: number | null, text: string, met: (v: number) => boolean): Target => ({
  value,
  target: text,
  met: value !== null && met(value),
});

function targets(s: StrategySummary): Record<string, Target> {
  const paired = (per: StrategySummary['dl_minus_features'], min: number) => {
    const values = per.map((x) => x.value);
    const diffs = values.map((v) => v?.difference ?? null);
    const ps = values.map((v) => v?.p ?? null);
    const mean = diffs.every((d) => d !== null) ? diffs.reduce((a, b) => a! + b!, 0)! / diffs.length : null;
    const pMax = ps.every((p) => p !== null) ? Math.max(...(ps as number[])) : null;
    return {
      value: mean,
      difference: mean,
      p_max: pMax,
      per_seed: per.map((x) => ({
        seed: x.seed,
        difference: x.value?.difference ?? null,
        p: x.value?.p ?? null,
      })),
      target: `≥ ${min} with p < 0.05 on every seed`,
      met: mean !== null && pMax !== null && mean >= min && pMax < 0.05,
    };
  };
  return {
    ratio_fed_vs_central: target(s.ratio_to_central, '≥ 0.98', (v) => v >= 0.98),
    fed_minus_best_local: target(s.minus_best_local, '> 0', (v) => v > 0),
    dl_minus_features: paired(s.dl_minus_features, 0.03),
    combined_minus_features: paired(s.combined_minus_features, 0.02),
    calibration_slope: target(s.external_calibration_slope_mean, '0.8–1.25', (v) => v >= 0.8 && v <= 1.25),
  };
}

async function main(): Promise<void> {
  const engine = await selectEngine('auto');
  const strategies = parseStrategies(flags.strategies);
  const primary = flags.primary as StrategyName;
  if (!FEDERATED.includes(primary) || !strategies.includes(primary))
    throw new Error(
      `--primary ${flags.primary} is not one of the federated strategies run (${strategies.filter((s) => FEDERATED.includes(s)).join(', ')})`,
    );
  const seeds = flags.seeds.split(',').map(Number);
  const log = (line: string): void => void process.stderr.write(`quality: ${line}\n`);
  const report = await runSimulation(
    (seed) =>
      phantomCohort({
        sites: flags.sites,
        casesPerSite: flags.cases,
        externalSites: 3,
        externalCasesPerSite: flags['external-cases'],
        inputSize: flags.size,
        seed,
        validationFraction: 0.2,
      }),
    {
      strategies,
      rounds: flags.rounds,
      seeds,
      training: {
        arch: 'densenet-tiny',
        inputSize: flags.size,
        epochs: flags.epochs,
        batchSize: 16,
        learningRate: 0.005,
      },
      data: {
        source: 'phantom',
        sites: flags.sites,
        cases: flags.cases,
        external_cases: 3 * flags['external-cases'],
      },
    },
    log,
  );
  const summary = Object.fromEntries(
    report.summary.map((s) => [
      s.strategy,
      {
        external_auc_mean: s.external_auc_mean,
        external: s.external_auc.map((e) => ({
          seed: e.seed,
          auc: e.value.auc,
          ci: e.value.auc_ci,
          model: e.value.model,
        })),
        pooled_test_auc_mean: s.pooled_test_auc_mean,
        calibration_slope_recalibrated: s.external_calibration_slope_mean,
        seconds: report.seeds.reduce(
          (t, seed) => t + (seed.strategies.find((r) => r.strategy === s.strategy)?.seconds ?? 0),
          0,
        ),
      },
    ]),
  );
  const features = report.seeds.map((seed) => ({
    seed: seed.seed,
    auc: seed.strategies[0]?.external.features?.auc ?? null,
    ci: seed.strategies[0]?.external.features?.auc_ci ?? null,
  }));
  const primarySummary = report.summary.find((s) => s.strategy === primary)!;
  const byStrategy = Object.fromEntries(
    report.summary.filter((s) => FEDERATED.includes(s.strategy)).map((s) => [s.strategy, targets(s)]),
  );
  const headline = targets(primarySummary);
  const result = {
    name: 'quality',
    engine: engine.name,
    settings: { ...report.settings, external_cases: 3 * flags['external-cases'] },
    seconds: report.seconds,
    strategies: summary,
    features_external: features,
    primary,
    ...Object.fromEntries(Object.entries(headline).map(([k, v]) => [k, v.value])),
    targets: headline,
    targets_by_strategy: byStrategy,
    all_met: Object.values(headline).every((t) => t.met),
  };
  if (flags.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `quality: ${engine.name}, ${report.seconds.toFixed(0)} s, ${flags.rounds} rounds × ${flags.epochs} epochs, seeds ${seeds.join(', ')}`,
  );
  for (const [name, s] of Object.entries(summary))
    console.log(
      `  ${name.padEnd(8)} external AUC ${s.external.map((e) => `${e.auc?.toFixed(3)} [${e.ci?.map((c) => c.toFixed(3)).join('–')}]`).join('  ')}  (${s.seconds.toFixed(0)} s)`,
    );
  console.log(`  features external AUC ${features.map((f) => f.auc?.toFixed(3)).join('  ')}`);
  for (const [k, t] of Object.entries(headline)) console.log(`  ${primary} ${k}: ${JSON.stringify(t)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
