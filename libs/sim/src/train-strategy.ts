/**
 * Trains one strategy of a simulated study from the run's initial weights. The compute budget is
 * the same for every strategy: `rounds × epochs` passes over a site's training cases.
 * - central: one model on all sites' training cases pooled, `rounds × epochs` epochs;
 * - local:   each site alone, `rounds × epochs` epochs;
 * - fedavg:  `rounds` rounds of `epochs` local epochs at every site, aggregated by {@link fedAvgRound}.
 * Training seeds follow the site client's rule (a different shuffle and augmentation each round,
 * reproducible from the run's seed and the site).
 */
import type { WeightTensor } from '@fedaln/aggregation';
import { deriveSeed } from '@fedaln/site-data';
import { fedAvgRound } from './fedavg-round';
import type { ExternalSite, SimSite } from './sim-cohort';
import type { SimNetwork } from './sim-network';
import type { StrategyName } from './strategy';

/**
 * Sites that share one model (and so one recalibration and one combined model): all training sites
 * under a shared strategy, each site on its own under local-only training.
 */
export interface ModelGroup {
  readonly name: string;
  /** Indices of its training sites. */
  readonly sites: readonly number[];
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
  /** Progress lines (e.g. to stderr); optional. */
  log?: (line: string) => void;
}

/** Stream of centralised training's seed. */
const CENTRAL_STREAM = 0xce;

/** A training site's seed stream for round `round` (0 for a single run). */
export const siteTrainingSeed = (seed: number, siteIndex: number, round: number): number =>
  deriveSeed(seed, siteIndex, round);

const shared = (weights: WeightTensor[], sites: number): StrategyModels => ({
  site: Array.from({ length: sites }, () => weights),
  groups: [
    { name: 'global', sites: Array.from({ length: sites }, (_, k) => k), external: async () => weights },
  ],
});

/**
 * @example const models = await trainStrategy('fedavg', network, cohort.sites, { rounds: 5, seed: 1 });
 */
export async function trainStrategy(
  name: StrategyName,
  network: SimNetwork,
  sites: readonly SimSite[],
  run: StrategyRun,
): Promise<StrategyModels> {
  const totalEpochs = run.rounds * network.training.epochs;
  const log = run.log ?? (() => undefined);
  switch (name) {
    case 'central': {
      const pooled = sites.flatMap((s) => s.train);
      log(`central: ${pooled.length} pooled cases, ${totalEpochs} epochs`);
      const weights = await network.train(
        network.initial,
        pooled,
        deriveSeed(run.seed, CENTRAL_STREAM),
        totalEpochs,
      );
      return shared(weights, sites.length);
    }
    case 'local': {
      const local: WeightTensor[][] = [];
      for (const [k, s] of sites.entries()) {
        log(`local: ${s.name}, ${s.train.length} cases, ${totalEpochs} epochs`);
        local.push(
          await network.train(network.initial, s.train, siteTrainingSeed(run.seed, k, 0), totalEpochs),
        );
      }
      return {
        site: local,
        groups: local.map((weights, k) => ({
          name: sites[k]!.name,
          sites: [k],
          external: async () => weights,
        })),
      };
    }
    case 'fedavg': {
      let global: WeightTensor[] = network.initial;
      for (let round = 1; round <= run.rounds; round++) {
        log(`fedavg: round ${round}/${run.rounds}`);
        const results = [];
        for (const [k, s] of sites.entries()) {
          const weights = await network.train(global, s.train, siteTrainingSeed(run.seed, k, round));
          results.push({ weights, nTrain: s.train.length });
        }
        global = fedAvgRound(global, results);
      }
      return shared(global, sites.length);
    }
  }
}
