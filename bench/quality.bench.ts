// `npm run bench -- quality [--json] [--phantom-version 2] [--parallel 2] [--rounds 8] [--epochs 2]
// [--size 32] [--schedule cosine|constant] [--adapt-external all|fedbn] [--learning-rate 0.005]
// [--batch-size 16] [--seeds 1,2] [--cases 324] [--sites 3] [--external-cases 300]
// [--strategies central,local,fedavg,fedprox,fedbn,fedadam] [--primary fedavg]`: issue 15's acceptance
// run. fedaln-sim's harness (libs/sim) on phantom data generated in process (generator version 2, the
// seed's regime, unless --phantom-version 1): 3 sites × 324 cases (the seed study's size, 8:2 split, a
// fifth of each site's training cases held out for recalibration and the combined model),
// densenet-tiny at 32 px (`--size`; npm start's input size), every strategy with the same budget of
// 8 rounds × 2 epochs, the learning rate annealed by a cosine over the rounds, external sites adapting
// every strategy's model by AdaBN (`--adapt-external fedbn`: only FedBN's, as before), two seeds, and
// 3 × 300 = 900 cases of new phantom sites (seed + 1000) that never trained. These settings were chosen
// on the sites' pooled validation AUC of seed 1 (`pooled_validation_auc_mean`), not on the external set. With
// `--parallel P` (default 2) up to P seeds run at once, each in its own child process (this script
// with `--worker-out FILE`; one seed's SimReport JSON). Prints, per strategy, the external
// AUC with its DeLong CI per seed, and the targets checked on the `--primary` federated strategy
// (also given for every federated strategy):
//   ratio_fed_vs_central     mean external AUC / centralised's      ≥ 0.98
//   fed_minus_best_local     − the best local-only model's          > 0
//   dl_minus_features        paired DeLong vs the four-feature model ≥ 0.03, p < 0.05 on every seed
//   combined_minus_features  [DL logit + features] vs features       ≥ 0.02, p < 0.05 on every seed
//   calibration_slope        pooled external slope after the recalibration the closed test chose
//                            (original score, in the large, or Platt's; @fedaln/metrics model-updating.ts)
//                                                                   0.8–1.25
import { selectEngine } from '@fedaln/model';
import { phantomVersion } from '@fedaln/phantom';
import {
  FEDERATED,
  LEARNING_RATE_SCHEDULES,
  type LearningRateSchedule,
  parseStrategies,
  phantomCohort,
  runSimulation,
  type SimReport,
  type StrategyName,
  type StrategySummary,
  summariseStrategies,
} from '@fedaln/sim';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchFlags } from './support/flags';

const flags = benchFlags({
  json: false,
  'phantom-version': 2,
  parallel: 2,
  rounds: 8,
  epochs: 2,
  seeds: '1,2',
  sites: 3,
  cases: 324,
  'external-cases': 300,
  size: 32,
  'learning-rate': 0.005,
  'batch-size': 16,
  /** constant or cosine (libs/sim learning-rate-schedule.ts). */
  schedule: 'cosine',
  /** all: external sites adapt every strategy's model by AdaBN; fedbn: only FedBN's. */
  'adapt-external': 'all',
  strategies: 'central,local,fedavg,fedprox,fedbn,fedadam',
  primary: 'fedavg',
  /** Internal: run the one seed of --seeds and write its SimReport JSON to this file. */
  'worker-out': '',
});

/** The issue's minimum external set (new-seed cases). */
const MIN_EXTERNAL_CASES = 900;

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

/** One seed's simulation in this process. */
async function simulate(seeds: number[], log: (line: string) => void): Promise<SimReport> {
  const version = phantomVersion(flags['phantom-version']);
  const schedule = flags.schedule as LearningRateSchedule;
  if (!LEARNING_RATE_SCHEDULES.includes(schedule))
    throw new Error(`--schedule ${flags.schedule} is not one of ${LEARNING_RATE_SCHEDULES.join(', ')}`);
  if (!['all', 'fedbn'].includes(flags['adapt-external']))
    throw new Error(`--adapt-external ${flags['adapt-external']} is not all or fedbn`);
  return runSimulation(
    (seed) =>
      phantomCohort({
        sites: flags.sites,
        casesPerSite: flags.cases,
        externalSites: 3,
        externalCasesPerSite: flags['external-cases'],
        inputSize: flags.size,
        seed,
        validationFraction: 0.2,
        version,
      }),
    {
      strategies: parseStrategies(flags.strategies),
      rounds: flags.rounds,
      seeds,
      schedule,
      adaptExternal: flags['adapt-external'] === 'all',
      training: {
        arch: 'densenet-tiny',
        inputSize: flags.size,
        epochs: flags.epochs,
        batchSize: flags['batch-size'],
        learningRate: flags['learning-rate'],
      },
      data: {
        source: 'phantom',
        phantom_version: version,
        sites: flags.sites,
        cases: flags.cases,
        external_cases: 3 * flags['external-cases'],
      },
    },
    log,
  );
}

/** Runs `seed` in a child process (this script with --worker-out); resolves to its SimReport. */
function simulateInChild(seed: number, dir: string): Promise<SimReport> {
  const out = join(dir, `seed-${seed}.json`);
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    ...process.argv.slice(2),
    '--seeds',
    String(seed),
    '--parallel',
    '1',
    '--worker-out',
    out,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(readFileSync(out, 'utf8')) as SimReport);
      else reject(new Error(`quality: seed ${seed}'s child process failed (exit ${code ?? signal})`));
    });
  });
}

/** Every seed, `parallel` at a time in child processes, merged into one report. */
async function simulateInParallel(seeds: number[], parallel: number): Promise<SimReport> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'fedaln-quality-'));
  try {
    const reports: SimReport[] = new Array(seeds.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < seeds.length) {
        const k = next++;
        reports[k] = await simulateInChild(seeds[k]!, dir);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, seeds.length) }, lane));
    const merged = reports.flatMap((r) => r.seeds);
    return {
      ...reports[0]!,
      settings: { ...reports[0]!.settings, seeds },
      seeds: merged,
      summary: summariseStrategies(merged),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const engine = await selectEngine('auto');
  const strategies = parseStrategies(flags.strategies);
  const primary = flags.primary as StrategyName;
  if (!FEDERATED.includes(primary) || !strategies.includes(primary))
    throw new Error(
      `--primary ${flags.primary} is not one of the federated strategies run (${strategies.filter((s) => FEDERATED.includes(s)).join(', ')})`,
    );
  if (!Number.isInteger(flags.parallel))
    throw new Error(`--parallel ${flags.parallel} is not an integer; pass e.g. --parallel 2`);
  const seeds = flags.seeds.split(',').map(Number);
  const log = (line: string): void => void process.stderr.write(`quality: ${line}\n`);
  if (flags['worker-out'] !== '') {
    const report = await simulate(seeds, log);
    writeFileSync(flags['worker-out'], JSON.stringify(report));
    return;
  }
  if (3 * flags['external-cases'] < MIN_EXTERNAL_CASES)
    log(`external set ${3 * flags['external-cases']} cases is below the issue's ${MIN_EXTERNAL_CASES}`);
  const report =
    flags.parallel > 1 && seeds.length > 1
      ? await simulateInParallel(seeds, flags.parallel)
      : await simulate(seeds, log);
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
        pooled_validation_auc_mean: s.pooled_validation_auc_mean,
        external_unadapted_auc_mean: s.external_unadapted_auc_mean,
        calibration_slope_recalibrated: s.external_calibration_slope_mean,
        recalibration: s.external_recalibration.map((r) => ({ seed: r.seed, method: r.value })),
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
    phantom_version: flags['phantom-version'],
    parallel: flags.parallel,
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
    `quality: ${engine.name}, phantom v${flags['phantom-version']}, ${report.seconds.toFixed(0)} s, ${flags.rounds} rounds × ${flags.epochs} epochs, seeds ${seeds.join(', ')}`,
  );
  for (const [name, s] of Object.entries(summary))
    console.log(
      `  ${name.padEnd(8)} external AUC ${s.external.map((e) => `${e.auc?.toFixed(3)} [${e.ci?.map((c) => c.toFixed(3)).join('–')}]`).join('  ')}  validation ${s.pooled_validation_auc_mean?.toFixed(3)}  (${s.seconds.toFixed(0)} s)`,
    );
  console.log(`  features external AUC ${features.map((f) => f.auc?.toFixed(3)).join('  ')}`);
  for (const [k, t] of Object.entries(headline)) console.log(`  ${primary} ${k}: ${JSON.stringify(t)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
