/**
 * Trains one strategy of a simulated study from the run's initial weights. The compute budget is
 * the same for every strategy: `rounds × epochs` passes over a site's training cases.
 * - central: one model on all sites' training cases pooled, `rounds × epochs` epochs;
 * - local:   each site alone, `rounds × epochs` epochs;
 * - fedavg:  `rounds` rounds of `epochs` local epochs at every site, aggregated by {@link fedAvgRound};
 * - fedprox: the same with FedProx's proximal term μ/2‖w − w_global‖² in local training;
 * - fedadam: the same local training; the server applies the mean delta with FedAdam;
 * - fedbn:   FedAvg of every weight but BatchNorm's, which stay at their site (FedBN); an external
 *            site starts from the sites' case-weighted mean BatchNorm and re-estimates its
 *            statistics on its own unlabelled images (AdaBN).
 * With `adaptExternal`, an external site adapts every strategy's model by AdaBN too, as it would with
 * `fedaln-site adapt` on any release (a scanner the model never saw shifts the statistics of every
 * BatchNorm layer, whatever the strategy). The learning rate follows `schedule` round by round
 * (learning-rate-schedule.ts); centralised and local-only training step down at the same rounds.
 * Training seeds follow the site client's rule (a different shuffle and augmentation each round,
 * reproducible from the run's seed and the site).
 */
import type { WeightTensor } from '@fedaln/aggregation';
import { isBatchNormWeightName } from '@fedaln/model';
import { deriveSeed } from '@fedaln/site-data';
import { FedAdamServer } from './fedadam-server';
import { fedAvgDelta, fedAvgRound, type LocalResult, pickTensors } from './fedavg-round';
import { type LearningRateSchedule, roundLearningRate } from './learning-rate-schedule';
import type { ExternalSite, SimCase, SimSite } from './sim-cohort';
import type { SimNetwork } from './sim-network';
import { DEFAULT_STRATEGY_OPTIONS, type StrategyName, type StrategyOptions } from './strategy';

/**
 * Sites that share one model (and so one recalibration and one combined model): all training sites
 * under a shared strategy, each site on its own under local-only training.
 */
export interface ModelGroup {
  readonly name: string;
  /** Indices of its training sites. */
  readonly sites: readonly number[];
  /** What a new site would receive: the group's model before any adaptation. */
  readonly release: readonly WeightTensor[];
  /** Whether an external site adapts {@link release} by AdaBN before scoring. */
  readonly adapted: boolean;
  /** The weights the group's model scores an external site with. */
  external(site: ExternalSite): Promise<readonly WeightTensor[]>;
}

/** The weights a strategy leaves behind. */
export interface StrategyModels {
  /** The model each training site scores its own cases with, in site order. */
  readonly site: readonly (readonly WeightTensor[])[];
  readonly groups: readonly ModelGroup[];
}

export interface StrategyRun {
  rounds: number;
  /** The run's seed: training streams derive from it. */
  seed: number;
  /** Default {@link DEFAULT_STRATEGY_OPTIONS}. */
  options?: StrategyOptions;
  /** Default `constant`. */
  schedule?: LearningRateSchedule;
  /** External sites adapt every strategy's model by AdaBN (FedBN's always); default false. */
  adaptExternal?: boolean;
  /** Progress lines (e.g. to stderr); optional. */
  log?: (line: string) => void;
}

/** Stream of centralised training's seed. */
const CENTRAL_STREAM = 0xce;

/** A training site's seed stream for round `round` (0 for a single run). */
export const siteTrainingSeed = (seed: number, siteIndex: number, round: number): number =>
  deriveSeed(seed, siteIndex, round);

const allSites = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

/** A model group whose release an external site scores with, adapted by AdaBN or as it is. */
const group = (
  network: SimNetwork,
  name: string,
  sites: number[],
  release: WeightTensor[],
  adapted: boolean,
): ModelGroup => ({
  name: adapted ? `${name} + AdaBN` : name,
  sites,
  release,
  adapted,
  external: async (ext) => (adapted ? network.adapt(release, ext.cases) : release),
});

const shared = (
  network: SimNetwork,
  weights: WeightTensor[],
  sites: number,
  run: StrategyRun,
): StrategyModels => ({
  site: allSites(sites).map(() => weights),
  groups: [group(network, 'global', allSites(sites), weights, run.adaptExternal === true)],
});

/** The learning rate of `round` (1-based) of the run. */
const rateOf = (network: SimNetwork, run: StrategyRun, round: number): number =>
  roundLearningRate(network.training.learningRate, round, run.rounds, run.schedule ?? 'constant');

/**
 * `rounds × epochs` epochs from `start` on `cases` without aggregation (centralised and local-only
 * training): one run, or under a schedule one run of `epochs` per round at that round's rate (the
 * optimiser's moments restart each round, as at a federated site).
 */
async function trainAlone(
  network: SimNetwork,
  cases: readonly SimCase[],
  seed: number,
  run: StrategyRun,
): Promise<WeightTensor[]> {
  if ((run.schedule ?? 'constant') === 'constant')
    return network.train(network.initial, cases, seed, { epochs: run.rounds * network.training.epochs });
  let weights = network.initial;
  for (let round = 1; round <= run.rounds; round++)
    weights = await network.train(weights, cases, deriveSeed(seed, round), {
      learningRate: rateOf(network, run, round),
    });
  return weights;
}

/** Federated rounds with a shared model: FedAvg, FedProx and FedAdam. */
async function sharedRounds(
  name: 'fedavg' | 'fedprox' | 'fedadam',
  network: SimNetwork,
  sites: readonly SimSite[],
  run: StrategyRun,
  options: StrategyOptions,
): Promise<StrategyModels> {
  const server = name === 'fedadam' ? new FedAdamServer(options.fedAdam) : null;
  const mu = name === 'fedprox' ? options.mu : 0;
  let global: WeightTensor[] = network.initial;
  for (let round = 1; round <= run.rounds; round++) {
    run.log?.(`${name}: round ${round}/${run.rounds}`);
    const results: LocalResult[] = [];
    for (const [k, s] of sites.entries()) {
      const weights = await network.train(global, s.train, siteTrainingSeed(run.seed, k, round), {
        mu,
        learningRate: rateOf(network, run, round),
      });
      results.push({ weights, nTrain: s.train.length });
    }
    global = server ? server.step(global, fedAvgDelta(global, results)) : fedAvgRound(global, results);
  }
  return shared(network, global, sites.length, run);
}

/** FedBN: BatchNorm weights stay at their site; new sites adapt the mean BatchNorm by AdaBN. */
async function fedBnRounds(
  network: SimNetwork,
  sites: readonly SimSite[],
  run: StrategyRun,
): Promise<StrategyModels> {
  const isShared = (t: { name: string }): boolean => !isBatchNormWeightName(t.name);
  let global = network.initial.filter(isShared);
  let site: WeightTensor[][] = sites.map(() => network.initial);
  for (let round = 1; round <= run.rounds; round++) {
    run.log?.(`fedbn: round ${round}/${run.rounds}`);
    const results: LocalResult[] = [];
    for (const [k, s] of sites.entries()) {
      const start = withShared(site[k]!, global);
      const weights = await network.train(start, s.train, siteTrainingSeed(run.seed, k, round), {
        learningRate: rateOf(network, run, round),
      });
      results.push({ weights, nTrain: s.train.length });
    }
    global = fedAvgRound(global, results);
    site = results.map((r) => withShared(r.weights as WeightTensor[], global));
  }
  const bnLayout = network.initial.filter((t) => !isShared(t));
  const meanBn = fedAvgRound(
    pickTensors(network.initial, bnLayout),
    site.map((weights, k) => ({ weights, nTrain: sites[k]!.train.length })),
  );
  const forNewSite = withShared(withShared(network.initial, global), meanBn);
  return {
    site,
    groups: [group(network, 'global', allSites(sites.length), forNewSite, true)],
  };
}

/** `weights` with the tensors of `replacement` (by name) swapped in. */
function withShared(weights: readonly WeightTensor[], replacement: readonly WeightTensor[]): WeightTensor[] {
  const byName = new Map(replacement.map((t) => [t.name, t]));
  return weights.map((t) => byName.get(t.name) ?? t);
}

/**
 * @example const models = await trainStrategy('fedavg', network, cohort.sites, { rounds: 5, seed: 1 });
 */
export async function trainStrategy(
  name: StrategyName,
  network: SimNetwork,
  sites: readonly SimSite[],
  run: StrategyRun,
): Promise<StrategyModels> {
  const epochs = run.rounds * network.training.epochs;
  const options = run.options ?? DEFAULT_STRATEGY_OPTIONS;
  switch (name) {
    case 'central': {
      const pooled = sites.flatMap((s) => s.train);
      run.log?.(`central: ${pooled.length} pooled cases, ${epochs} epochs`);
      const seed = deriveSeed(run.seed, CENTRAL_STREAM);
      return shared(network, await trainAlone(network, pooled, seed, run), sites.length, run);
    }
    case 'local': {
      const local: WeightTensor[][] = [];
      for (const [k, s] of sites.entries()) {
        run.log?.(`local: ${s.name}, ${s.train.length} cases, ${epochs} epochs`);
        local.push(await trainAlone(network, s.train, siteTrainingSeed(run.seed, k, 0), run));
      }
      return {
        site: local,
        groups: local.map((weights, k) =>
          group(network, sites[k]!.name, [k], weights, run.adaptExternal === true),
        ),
      };
    }
    case 'fedavg':
    case 'fedprox':
    case 'fedadam':
      return sharedRounds(name, network, sites, run, options);
    case 'fedbn':
      return fedBnRounds(network, sites, run);
  }
}
