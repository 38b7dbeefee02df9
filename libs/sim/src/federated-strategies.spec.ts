/**
 * FedProx, FedAdam and FedBN in the harness (2 phantom sites × 30 cases at 32 px, 1 round of 1
 * epoch, wasm): each is the library's own piece (trainModel's proximal term, fedAdamStep, the
 * BatchNorm weight names, AdaBN) applied as the strategy says.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { WeightTensor } from '@fedaln/aggregation';
import { isBatchNormWeightName, selectEngine } from '@fedaln/model';
import { fedAvgDelta, fedAvgRound } from './fedavg-round';
import { phantomCohort } from './phantom-cohort';
import type { SimCohort } from './sim-cohort';
import { SimNetwork } from './sim-network';
import { siteTrainingSeed, trainStrategy } from './train-strategy';

// Real training: seconds on an idle machine, but a test must also pass with both cores busy.
jest.setTimeout(240_000);
const SEED = 11;
const OPTIONS = { mu: 0.5, fedAdam: { learningRate: 0.02, beta1: 0.9, beta2: 0.99, tau: 1e-3 } };
let cohort: SimCohort;
let network: SimNetwork;

const byName = (ws: readonly WeightTensor[]): Map<string, Float32Array> =>
  new Map(ws.map((t) => [t.name, t.values]));
const equal = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => Object.is(v, b[i]));

/** Each site's update from the initial weights in round 1, trained as the strategy trains it. */
async function roundOne(mu = 0) {
  const out = [];
  for (const [k, s] of cohort.sites.entries())
    out.push({
      weights: await network.train(network.initial, s.train, siteTrainingSeed(SEED, k, 1), { mu }),
      nTrain: s.train.length,
    });
  return out;
}

beforeAll(async () => {
  await selectEngine('wasm');
  cohort = phantomCohort({
    sites: 2,
    casesPerSite: 30,
    externalSites: 1,
    externalCasesPerSite: 30,
    inputSize: 32,
    seed: SEED,
    validationFraction: 0.25,
  });
  network = new SimNetwork(
    { arch: 'densenet-tiny', inputSize: 32, epochs: 1, batchSize: 8, learningRate: 5e-3 },
    SEED,
  );
});
afterAll(() => network.dispose());

describe('federated strategies', () => {
  it('FedProx is FedAvg of sites trained with the proximal term μ, and μ changes the result', async () => {
    const run = { rounds: 1, seed: SEED, options: OPTIONS };
    const prox = await trainStrategy('fedprox', network, cohort.sites, run);
    const expected = fedAvgRound(network.initial, await roundOne(OPTIONS.mu));
    expect(prox.site[0]!.every((t, k) => equal(t.values, expected[k]!.values))).toBe(true);
    const plain = await trainStrategy('fedavg', network, cohort.sites, run);
    expect(plain.site[0]!.every((t, k) => equal(t.values, expected[k]!.values))).toBe(false);
  });

  it('FedAdam steps by η·m/(√v + τ) from the FedAvg mean delta; BatchNorm statistics take the mean', async () => {
    const adam = await trainStrategy('fedadam', network, cohort.sites, {
      rounds: 1,
      seed: SEED,
      options: OPTIONS,
    });
    const delta = byName(fedAvgDelta(network.initial, await roundOne()));
    const { learningRate: eta, beta1, beta2, tau } = OPTIONS.fedAdam;
    let worst = 0;
    let statistics = 0;
    for (const t of adam.site[0]!) {
      const g = network.initial.find((x) => x.name === t.name)!.values;
      const d = delta.get(t.name)!;
      const isStat = /moving_(mean|variance)$/.test(t.name);
      if (isStat) statistics++;
      t.values.forEach((v, i) => {
        // Round 1 from zero moments: m = (1−β1)Δ, v = (1−β2)Δ².
        const step = isStat
          ? d[i]!
          : (eta * (1 - beta1) * d[i]!) / (Math.sqrt((1 - beta2) * d[i]! * d[i]!) + tau);
        worst = Math.max(worst, Math.abs(v - (g[i]! + step)));
      });
    }
    expect(statistics).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-6);
  });

  it('FedBN keeps BatchNorm at each site, shares the rest, and adapts a new site by AdaBN', async () => {
    const fedbn = await trainStrategy('fedbn', network, cohort.sites, { rounds: 1, seed: SEED });
    const local = await roundOne();
    const shared = fedAvgRound(
      network.initial.filter((t) => !isBatchNormWeightName(t.name)),
      local,
    );
    const [a, b] = [byName(fedbn.site[0]!), byName(fedbn.site[1]!)];
    for (const t of shared) {
      expect(equal(a.get(t.name)!, t.values)).toBe(true);
      expect(equal(b.get(t.name)!, t.values)).toBe(true);
    }
    const bn = network.initial.filter((t) => isBatchNormWeightName(t.name)).map((t) => t.name);
    expect(bn.length).toBeGreaterThan(0);
    const own = [0, 1].map((k) => byName(local[k]!.weights));
    for (const name of bn) {
      expect(equal(a.get(name)!, own[0]!.get(name)!)).toBe(true);
      expect(equal(b.get(name)!, own[1]!.get(name)!)).toBe(true);
    }
    // A new site: shared weights, the sites' mean γ/β, its own statistics.
    const ext = byName(await fedbn.groups[0]!.external(cohort.external[0]!));
    for (const t of shared) expect(equal(ext.get(t.name)!, t.values)).toBe(true);
    const gamma = bn.find((n) => n.endsWith('/gamma'))!;
    const n = [cohort.sites[0]!.train.length, cohort.sites[1]!.train.length];
    const meanGamma = own[0]!
      .get(gamma)!
      .map((v, i) => (n[0]! * v + n[1]! * own[1]!.get(gamma)![i]!) / (n[0]! + n[1]!));
    ext.get(gamma)!.forEach((v, i) => expect(v).toBeCloseTo(meanGamma[i]!, 5));
    const movingMean = bn.find((x) => x.endsWith('/moving_mean'))!;
    expect(equal(ext.get(movingMean)!, own[0]!.get(movingMean)!)).toBe(false);
    expect(equal(ext.get(movingMean)!, own[1]!.get(movingMean)!)).toBe(false);
  });

  it("with adaptExternal, a new site adapts FedAvg's and each local model by AdaBN; without, it scores the release", async () => {
    const run = { rounds: 1, seed: SEED, adaptExternal: true };
    const site = cohort.external[0]!;
    for (const name of ['fedavg', 'local'] as const) {
      const models = await trainStrategy(name, network, cohort.sites, run);
      for (const g of models.groups) {
        expect(g.adapted).toBe(true);
        expect(g.name).toMatch(/ \+ AdaBN$/);
        const ext = await g.external(site);
        const expected = await network.adapt(g.release, site.cases);
        expect(ext.every((t, k) => equal(t.values, expected[k]!.values))).toBe(true);
        // Only BatchNorm's moving statistics change.
        for (const [k, t] of ext.entries()) {
          const stat = /moving_(mean|variance)$/.test(t.name);
          if (!stat) expect(equal(t.values, g.release[k]!.values)).toBe(true);
        }
        expect(ext.some((t, k) => !equal(t.values, g.release[k]!.values))).toBe(true);
      }
    }
    const plain = await trainStrategy('fedavg', network, cohort.sites, { rounds: 1, seed: SEED });
    expect(plain.groups[0]!.adapted).toBe(false);
    expect(await plain.groups[0]!.external(site)).toBe(plain.groups[0]!.release);
  });

  it('under the cosine schedule, round r of R trains every site at η·½(1 + cos(π(r − ½)/R))', async () => {
    const rounds = 2;
    const eta = network.training.learningRate;
    const fed = await trainStrategy('fedavg', network, cohort.sites, {
      rounds,
      seed: SEED,
      schedule: 'cosine',
    });
    let global = network.initial;
    for (let r = 1; r <= rounds; r++) {
      const rate = eta * 0.5 * (1 + Math.cos((Math.PI * (r - 0.5)) / rounds));
      const results = [];
      for (const [k, s] of cohort.sites.entries())
        results.push({
          weights: await network.train(global, s.train, siteTrainingSeed(SEED, k, r), { learningRate: rate }),
          nTrain: s.train.length,
        });
      global = fedAvgRound(global, results);
    }
    expect(fed.site[0]!.every((t, k) => equal(t.values, global[k]!.values))).toBe(true);
  });
});
