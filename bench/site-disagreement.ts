// `node --import tsx bench/site-disagreement.ts [--json] [--seeds 40] [--first 11] [--sites 5] [--cases 60]
// [--alpha 0.05]`: how well the site score test (`siteScoreTests`, @fedaln/metrics) tells a site that
// trains on shuffled labels from honest sites (issue 13), over many phantom federations. Each seed is
// the phantom as `fedaln-phantom --sites S --cases C --seed SEED` writes it (libs/phantom: the radiologist's
// reads, the split of `phantomSplit`); the statistics are each site's train cases at the pooled fit, as
// the site client answers `features:stats` and the coordinator's federated IRLS fits them.
// Two federations per seed: all sites honest (false positives), and the last site with its train labels
// shuffled (Fisher–Yates, as tests/adversarial/phantom-federation.spec.ts does; true positives).
// A site is flagged when p < alpha / S (Bonferroni over the round's sites). Reports the flag rates, the
// p-values' spread, the honest sites flagged beside the shuffled one, the honest-only federations with any
// flag, and the same with every coefficient tested (no free intercept).
import {
  clinicalFeatureRows,
  fitFederatedLogistic,
  FEATURE_MODEL_TERMS,
  logisticSufficientStats,
  siteScoreTests,
  stepDownSiteScoreTests,
} from '@fedaln/metrics';
import { drawCase, siteProfile } from '@fedaln/phantom';
import { streamSeed, Xoshiro128StarStar } from '@fedaln/site-data';
import { phantomSplit } from '../libs/phantom/src/split';
import { benchFlags } from './support/flags';

const flags = benchFlags({ json: false, seeds: 40, first: 11, sites: 5, cases: 60, alpha: 0.05 });
const K = FEATURE_MODEL_TERMS.length;

interface SiteRows {
  rows: number[][];
  labels: number[];
}

function siteTrain(seed: number, s: number, shuffled: boolean): SiteRows {
  const profile = siteProfile(s, seed);
  const records = Array.from({ length: flags.cases }, (_, i) => drawCase(profile, i));
  const splits = phantomSplit(
    records.map((r) => r.label),
    streamSeed(seed, s),
  );
  const train = records.filter((_, i) => splits[i] === 'train');
  const labels: number[] = train.map((r) => r.label);
  if (shuffled) {
    const rng = Xoshiro128StarStar.fromSeed(seed * 100 + s);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
  }
  const rows = clinicalFeatureRows(
    train.map((r) => ({
      size_mm: r.read.sizeMm.toFixed(1),
      orientation: r.read.orientation,
      echogenic_halo: r.read.echogenicHalo ? 1 : 0,
      spiculation: r.read.margin === 'spiculated' ? 1 : 0,
    })),
  );
  return { rows, labels };
}

async function federation(sites: SiteRows[], cut: number) {
  const fit = await fitFederatedLogistic(
    (beta) => sites.map((s) => logisticSufficientStats(s.rows, s.labels, beta)),
    { k: K },
  );
  if (!fit.coefficients) return null;
  const stats = sites.map((s) => logisticSufficientStats(s.rows, s.labels, fit.coefficients!));
  const flag = (p: number | null) => ({ p, flagged: p !== null && p < cut });
  return {
    stepDown: stepDownSiteScoreTests(stats, cut, { free: [0] }),
    freeIntercept: siteScoreTests(stats, { free: [0] }).map((t) => flag(t.p)),
    all: siteScoreTests(stats).map((t) => flag(t.p)),
  };
}

async function main(): Promise<void> {
  const S = flags.sites;
  const cut = flags.alpha / S;
  const tally = {
    stepDown: { honestFlagged: 0, honestTested: 0, shuffledFlagged: 0, shuffledTested: 0, besideFlagged: 0 },
    freeIntercept: {
      honestFlagged: 0,
      honestTested: 0,
      shuffledFlagged: 0,
      shuffledTested: 0,
      besideFlagged: 0,
    },
    all: { honestFlagged: 0, honestTested: 0, shuffledFlagged: 0, shuffledTested: 0, besideFlagged: 0 },
  };
  const shuffledP: number[] = [];
  const honestMinP: number[] = [];
  let noFit = 0;
  /** Honest-only federations in which at least one site is flagged (the family-wise rate α bounds). */
  let honestFederationsFlagged = 0;
  for (let seed = flags.first; seed < flags.first + flags.seeds; seed++) {
    for (const attacked of [false, true]) {
      const sites = Array.from({ length: S }, (_, i) => siteTrain(seed, i + 1, attacked && i === S - 1));
      const r = await federation(sites, cut);
      if (!r) {
        noFit++;
        continue;
      }
      for (const variant of ['stepDown', 'freeIntercept', 'all'] as const) {
        const t = tally[variant];
        r[variant].forEach(({ p, flagged }, i) => {
          if (p === null) return;
          const bad = attacked && i === S - 1;
          if (bad) {
            t.shuffledTested++;
            if (flagged) t.shuffledFlagged++;
            if (variant === 'stepDown') shuffledP.push(p);
          } else if (!attacked) {
            t.honestTested++;
            if (flagged) t.honestFlagged++;
          } else if (flagged) t.besideFlagged++; // an honest site beside the shuffled one
        });
      }
      if (!attacked) honestMinP.push(Math.min(...r.stepDown.map((t) => t.p ?? 1)));
      if (!attacked && r.stepDown.some((t) => t.flagged)) honestFederationsFlagged++;
    }
  }
  const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!;
  const result = {
    name: 'site-disagreement',
    seeds: [flags.first, flags.first + flags.seeds - 1],
    sites: S,
    cases: flags.cases,
    alpha: flags.alpha,
    threshold: cut,
    no_fit: noFit,
    honest_federations_flagged: honestFederationsFlagged,
    ...tally,
    shuffled_p_by_seed: shuffledP.map((p) => Number(p.toPrecision(3))),
    shuffled_p_median: q(shuffledP, 0.5),
    shuffled_p_max: q(shuffledP, 1),
    honest_min_p_median: q(honestMinP, 0.5),
  };
  if (flags.json) {
    console.log(JSON.stringify(result));
    return;
  }
  for (const v of ['stepDown', 'freeIntercept', 'all'] as const) {
    const t = tally[v];
    console.log(
      `${v.padEnd(14)} shuffled flagged ${t.shuffledFlagged}/${t.shuffledTested}  honest flagged ${t.honestFlagged}/${t.honestTested} (honest-only federations), ${t.besideFlagged} beside the shuffled site`,
    );
  }
  console.log(
    `p < ${cut}; honest-only federations with a flagged site ${honestFederationsFlagged}/${flags.seeds}; shuffled site p median ${result.shuffled_p_median.toExponential(2)}, max ${result.shuffled_p_max.toExponential(2)}; federations without a fit: ${noFit}`,
  );
}

void main();
