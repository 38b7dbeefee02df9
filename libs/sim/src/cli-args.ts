/**
 * Flags of `fedaln-sim`. Parsing is pure; a bad flag throws a `UsageError` naming the flag, the bad
 * value and what was expected (the CLI prints it with the usage and exits 2).
 */
import {
  choiceFlag,
  describeInteger,
  integerFlag,
  numberFlag,
  parseFlags,
  UsageError,
} from '@fedaln/cli-flags';
import { PHANTOM_VERSIONS, type PhantomVersion } from '@fedaln/phantom';
import { ARCHITECTURES, type Architecture, ENGINE_NAMES, type EnginePreference } from '@fedaln/model';
import {
  DEFAULT_STRATEGY_OPTIONS,
  parseStrategies,
  STRATEGY_NAMES,
  type StrategyName,
  type StrategyOptions,
} from './strategy';
import { LEARNING_RATE_SCHEDULES, type LearningRateSchedule } from './learning-rate-schedule';

/**
 * The phantom a simulated study runs on unless told: v2, the seed's regime (issue 15), where the
 * feature columns are a radiologist's read; `--phantom-version 1` gives v1's cohort as before.
 */
export const SIM_PHANTOM_VERSION: PhantomVersion = 2;

export const USAGE = `usage: fedaln-sim [options]

Simulates a study before it touches patients: N sites in one process, trained with the federation's
own training and aggregation code under each strategy, scored on every site's test split and on
external sites that never trained. Writes DIR/sim-report.json and DIR/sim-report.html.

Data (phantom unless --site is given):
  --sites N              phantom training sites (default 3)
  --cases M              phantom cases per site (default 324; the phantom's 80/20 split)
  --external-sites E     phantom external sites, of seed + 1000 (default 3)
  --external-cases C     cases per external site (default 300)
  --phantom-version V    phantom generator version, ${PHANTOM_VERSIONS.join(' or ')} (default ${SIM_PHANTOM_VERSION}); 2 is
                         the seed's regime (labels.csv holds a radiologist's read)
  --site DIR             a real site folder (labels.csv + images); repeat for each site
  --external DIR         a real external site folder; repeat (needs --site)
  --validation-fraction F  share of each site's training cases held out to fit recalibration and
                         the combined model (default 0.2)
Training:
  --strategies LIST      comma-separated, from ${STRATEGY_NAMES.join(', ')} (default all)
  --arch NAME            ${ARCHITECTURES.join(', ')} (default densenet-tiny)
  --input-size PX        image side the model sees (default 64)
  --rounds R             federated rounds (default 5); every strategy gets R × E epochs
  --epochs E             local epochs per round (default 2)
  --batch-size B         (default 16)
  --learning-rate X      Adam learning rate (default 0.005)
  --lr-schedule S        ${LEARNING_RATE_SCHEDULES.join(' or ')}: the learning rate round by round (default cosine:
                         annealed from X towards 0 over the rounds)
  --adapt-external WHO   all: external sites adapt every strategy's model by AdaBN (as fedaln-site
                         adapt does with any release); fedbn: only FedBN's (default all)
  --mu X                 FedProx's proximal weight μ (default 0.01)
  --server-lr X          FedAdam's server learning rate η (default 0.01)
  --beta1 X, --beta2 X   FedAdam's moment decays (default 0.9, 0.99)
  --tau X                FedAdam's adaptivity τ (default 0.001)
  --seeds LIST           comma-separated integer seeds (default 1); phantom data and training
  --engine NAME          ${ENGINE_NAMES.join(', ')} (default auto)
Output:
  --out DIR              where to write the report (default sim-report)
  --json                 also print the report JSON on stdout
  -h, --help             this text`;

export interface SimCliOptions {
  phantom: {
    sites: number;
    cases: number;
    externalSites: number;
    externalCases: number;
    version: PhantomVersion;
  } | null;
  siteDirs: string[];
  externalDirs: string[];
  validationFraction: number;
  strategies: StrategyName[];
  strategyOptions: StrategyOptions;
  arch: Architecture;
  inputSize: number;
  rounds: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: LearningRateSchedule;
  adaptExternal: boolean;
  seeds: number[];
  engine: EnginePreference;
  out: string;
  json: boolean;
}

const INTEGERS = {
  sites: { min: 1, max: 50, default: 3 },
  cases: { min: 10, max: 100_000, default: 324 },
  'external-sites': { min: 1, max: 50, default: 3 },
  'external-cases': { min: 10, max: 100_000, default: 300 },
  'input-size': { min: 32, max: 512, default: 64 },
  rounds: { min: 1, max: 1000, default: 5 },
  epochs: { min: 1, max: 1000, default: 2 },
  'batch-size': { min: 1, max: 4096, default: 16 },
} as const;
type IntegerName = keyof typeof INTEGERS;

const SEED_RANGE = { min: 0, max: 0xfffffff, default: 1 };

function seedList(text: string | undefined): number[] {
  if (text === undefined) return [1];
  const seeds = text.split(',').map((s) => integerFlag('--seeds', s.trim(), SEED_RANGE));
  return [...new Set(seeds)];
}

/**
 * Parses argv (without node and script); null for `--help`.
 * @example parseSimArgs(['--rounds', '2', '--seeds', '1,2']).seeds // [1, 2]
 */
export function parseSimArgs(argv: readonly string[]): SimCliOptions | null {
  const { values } = parseFlags({
    args: argv,
    options: {
      ...(Object.fromEntries(Object.keys(INTEGERS).map((k) => [k, { type: 'string' }])) as Record<
        IntegerName,
        { type: 'string' }
      >),
      site: { type: 'string', multiple: true },
      external: { type: 'string', multiple: true },
      'validation-fraction': { type: 'string' },
      'phantom-version': { type: 'string' },
      strategies: { type: 'string' },
      arch: { type: 'string' },
      'learning-rate': { type: 'string' },
      'lr-schedule': { type: 'string' },
      'adapt-external': { type: 'string' },
      mu: { type: 'string' },
      'server-lr': { type: 'string' },
      beta1: { type: 'string' },
      beta2: { type: 'string' },
      tau: { type: 'string' },
      seeds: { type: 'string' },
      engine: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    help: 'fedaln-sim --help',
    expected: {
      ...Object.fromEntries(Object.entries(INTEGERS).map(([k, r]) => [k, `expected ${describeInteger(r)}`])),
      site: 'pass a site folder, e.g. --site data/site1',
      external: 'pass a site folder, e.g. --external data/new-site',
      strategies: `pass e.g. --strategies ${STRATEGY_NAMES.join(',')}`,
      seeds: 'pass e.g. --seeds 1,2',
      out: 'pass a folder, e.g. --out sim-report',
    },
  });
  if (values.help) return null;
  const integer = (name: IntegerName): number => integerFlag(`--${name}`, values[name], INTEGERS[name]);
  const siteDirs = values.site ?? [];
  const externalDirs = values.external ?? [];
  if (siteDirs.length === 0 && externalDirs.length > 0) {
    throw new UsageError(
      '--external needs --site: pass the training site folders too (or neither, for phantom data)',
    );
  }
  if (siteDirs.length > 0 && externalDirs.length === 0) {
    throw new UsageError(
      '--site needs at least one --external folder: the sites that never train (pass --external DIR)',
    );
  }
  let strategies: StrategyName[];
  try {
    strategies = values.strategies === undefined ? [...STRATEGY_NAMES] : parseStrategies(values.strategies);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const real = (
    flag: string,
    text: string | undefined,
    fallback: number,
    range: { above: number; below?: number },
  ) => (text === undefined ? fallback : numberFlag(flag, text, range));
  const adam = DEFAULT_STRATEGY_OPTIONS.fedAdam;
  return {
    phantom:
      siteDirs.length > 0
        ? null
        : {
            sites: integer('sites'),
            cases: integer('cases'),
            externalSites: integer('external-sites'),
            externalCases: integer('external-cases'),
            version: Number(
              choiceFlag(
                '--phantom-version',
                values['phantom-version'],
                PHANTOM_VERSIONS.map(String),
                String(SIM_PHANTOM_VERSION),
              ),
            ) as PhantomVersion,
          },
    siteDirs,
    externalDirs,
    validationFraction: real('--validation-fraction', values['validation-fraction'], 0.2, {
      above: 0,
      below: 1,
    }),
    strategies,
    strategyOptions: {
      mu: real('--mu', values.mu, DEFAULT_STRATEGY_OPTIONS.mu, { above: 0 }),
      fedAdam: {
        learningRate: real('--server-lr', values['server-lr'], adam.learningRate, { above: 0 }),
        beta1: real('--beta1', values.beta1, adam.beta1, { above: 0, below: 1 }),
        beta2: real('--beta2', values.beta2, adam.beta2, { above: 0, below: 1 }),
        tau: real('--tau', values.tau, adam.tau, { above: 0 }),
      },
    },
    arch: choiceFlag('--arch', values.arch, ARCHITECTURES, 'densenet-tiny'),
    inputSize: integer('input-size'),
    rounds: integer('rounds'),
    epochs: integer('epochs'),
    batchSize: integer('batch-size'),
    learningRate: real('--learning-rate', values['learning-rate'], 0.005, { above: 0, below: 1 }),
    schedule: choiceFlag('--lr-schedule', values['lr-schedule'], LEARNING_RATE_SCHEDULES, 'cosine'),
    adaptExternal:
      choiceFlag('--adapt-external', values['adapt-external'], ['all', 'fedbn'], 'all') === 'all',
    seeds: seedList(values.seeds),
    engine: choiceFlag('--engine', values.engine, ENGINE_NAMES, 'auto'),
    out: values.out ?? 'sim-report',
    json: values.json === true,
  };
}
