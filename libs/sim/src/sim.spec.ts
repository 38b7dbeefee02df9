/**
 * The harness on a small phantom cohort (2 sites × 30 cases at 32 px, 1 round of 1 epoch, the wasm
 * engine): its FedAvg is StreamingFedAvg of the sites' own updates, local-only training sees
 * only its site, centralised training pools the sites, and a report has its keys, renders to a
 * self-contained page and repeats exactly for a seed.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { deriveSeed } from '@fedaln/site-data';
import { subtractWeights } from '@fedaln/protocol';
import { selectEngine } from '@fedaln/model';
import { phantomCohort } from './phantom-cohort';
import { simReportHtml } from './report-html';
import { runSimulation, type SimSettings } from './run-simulation';
import type { SimCohort } from './sim-cohort';
import { SimNetwork } from './sim-network';
import { siteTrainingSeed, trainStrategy } from './train-strategy';

// Real training: seconds on an idle machine, but a test must also pass with both cores busy.
jest.setTimeout(240_000);
const TRAINING = {
  arch: 'densenet-tiny',
  inputSize: 32,
  epochs: 1,
  batchSize: 8,
  learningRate: 5e-3,
} as const;
const SEED = 7;
const cohortOf = (seed: number): SimCohort =>
  phantomCohort({
    sites: 2,
    casesPerSite: 30,
    externalSites: 1,
    externalCasesPerSite: 30,
    inputSize: 32,
    seed,
    validationFraction: 0.25,
  });

const same = (a: readonly WeightTensor[], b: readonly WeightTensor[]): boolean =>
  a.length === b.length &&
  a.every((t, k) => t.name === b[k]!.name && t.values.every((v, i) => Object.is(v, b[k]!.values[i])));

let cohort: SimCohort;
let network: SimNetwork;

beforeAll(async () => {
  await selectEngine('wasm');
  cohort = cohortOf(SEED);
  network = new SimNetwork({ ...TRAINING }, SEED);
});
afterAll(() => network.dispose());

describe('strategies', () => {
  it('FedAvg is StreamingFedAvg of the updates the sites trained, i.e. the case-weighted mean of their deltas', async () => {
    const fed = await trainStrategy('fedavg', network, cohort.sites, { rounds: 1, seed: SEED });
    const global = network.initial;
    const locals: { weights: WeightTensor[]; n: number }[] = [];
    for (const [k, s] of cohort.sites.entries())
      locals.push({
        weights: await network.train(global, s.train, siteTrainingSeed(SEED, k, 1)),
        n: s.train.length,
      });
    const fedavg = new StreamingFedAvg(
      global.map(({ name, shape }) => ({ name, shape })),
      { global },
    );
    for (const l of locals) fedavg.add(subtractWeights(l.weights, global), l.n);
    const expected = fedavg.applyTo(global);
    fedavg.close();
    expect(same(fed.site[0]!, expected)).toBe(true);
    expect(same(fed.site[1]!, expected)).toBe(true);
    // And by hand, in float64: global + Σ nₖ(localₖ − global) / Σ nₖ.
    const total = locals.reduce((s, l) => s + l.n, 0);
    let worst = 0;
    expected.forEach((t, k) => {
      t.values.forEach((v, i) => {
        const g = global[k]!.values[i]!;
        const mean = locals.reduce((s, l) => s + l.n * (l.weights[k]!.values[i]! - g), 0) / total;
        worst = Math.max(worst, Math.abs(v - (g + mean)) / (1 + Math.abs(g)));
      });
    });
    expect(worst).toBeLessThan(1e-5);
    // The round moved the model (else the equalities would hold trivially).
    expect(same(expected, global)).toBe(false);
  });

  it('local-only trains each site on its own cases only', async () => {
    const local = await trainStrategy('local', network, cohort.sites, { rounds: 1, seed: SEED });
    // Site 2 gets other cases (site 1's): site 1's model must not change, site 2's must.
    const swapped = {
      ...cohort,
      sites: [cohort.sites[0]!, { ...cohort.sites[1]!, train: cohort.sites[0]!.train }],
    };
    const other = await trainStrategy('local', network, swapped.sites, { rounds: 1, seed: SEED });
    expect(same(local.site[0]!, other.site[0]!)).toBe(true);
    expect(same(local.site[1]!, other.site[1]!)).toBe(false);
    expect(local.groups.map((g) => g.sites)).toEqual([[0], [1]]);
  });

  it('centralised training pools the training cases of every site', async () => {
    const central = await trainStrategy('central', network, cohort.sites, { rounds: 1, seed: SEED });
    const pooled = await network.train(
      network.initial,
      [...cohort.sites[0]!.train, ...cohort.sites[1]!.train],
      deriveSeed(SEED, 0xce),
    );
    expect(same(central.site[0]!, pooled)).toBe(true);
    const siteOne = await network.train(network.initial, cohort.sites[0]!.train, deriveSeed(SEED, 0xce));
    expect(same(central.site[0]!, siteOne)).toBe(false);
  });
});

describe('report', () => {
  const settings: SimSettings = {
    strategies: ['central', 'local', 'fedavg'],
    rounds: 1,
    seeds: [SEED],
    training: { ...TRAINING },
    data: { source: 'phantom', sites: 2 },
  };
  const withoutTimes = (x: unknown): unknown =>
    JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seconds' ? 0 : v)));

  it('has every strategy with per-site, pooled and external results; repeats exactly for a seed; renders self-contained', async () => {
    const report = await runSimulation(cohortOf, settings);
    expect(report.fedaln_sim).toBe(1);
    expect(report.summary.map((s) => s.strategy)).toEqual(['central', 'local', 'fedavg']);
    for (const key of [
      'external_auc',
      'external_auc_mean',
      'pooled_test_auc_mean',
      'external_calibration_slope_mean',
      'external_recalibration',
      'dl_minus_features',
      'combined_minus_features',
      'ratio_to_central',
      'minus_best_local',
    ])
      expect(report.summary[2]).toHaveProperty(key);
    const fedavg = report.seeds[0]!.strategies[2]!;
    expect(fedavg.sites.map((s) => s.site)).toEqual(['site1', 'site2']);
    for (const set of [fedavg.sites[0]!, fedavg.pooled_test, fedavg.external])
      for (const key of [
        'dl',
        'dl_recalibrated',
        'features',
        'combined',
        'dl_vs_features',
        'combined_vs_features',
      ])
        expect(set).toHaveProperty(key);
    expect(fedavg.external.dl.n).toBe(30);
    // What the group shipped: the closed test's choice of recalibration, with its tests.
    expect(fedavg.recalibration.map((r) => r.model)).toEqual(['global']);
    const choice = fedavg.recalibration[0]!.choice;
    if (choice) expect(['original', 'in-the-large', 'logistic']).toContain(choice.method);
    expect(typeof fedavg.external.dl.auc).toBe('number');
    expect(fedavg.external.features?.auc).toEqual(expect.any(Number));
    expect(report.seeds[0]!.feature_model?.coefficients).toHaveLength(5);
    expect(report.summary[0]!.ratio_to_central).toBe(1);
    // local-only: one external result per site model, the headline the best of them.
    const local = report.seeds[0]!.strategies[1]!;
    expect(local.external_by_model.map((m) => m.model)).toEqual(['site1', 'site2']);
    expect(local.external.dl.auc).toBe(Math.max(...local.external_by_model.map((m) => m.auc ?? -1)));

    const again = await runSimulation(cohortOf, settings);
    expect(withoutTimes(again)).toEqual(withoutTimes(report));

    const html = simReportHtml({
      ...report,
      seeds: report.seeds.map((s) => ({
        ...s,
        cases: { ...s.cases, external: [{ site: '<b>x</b>', n: 1, n_pos: 0 }] },
      })),
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|href=|url\(|@import/i);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });
});
