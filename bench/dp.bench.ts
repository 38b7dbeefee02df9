// `npm run bench -- dp [--json] [--rounds 4] [--cases 120] [--q 0.1] [--epsilon 8] [--clip 1] [--lr 0.002]`:
// the cost of patient-level differential privacy (issue 16) in a small phantom federation, in process
// with the real training code and FedAvg: three sites (libs/phantom, seed 11, `cases` training cases
// each), densenet-tiny at 32 px on wasm, `rounds` rounds of one local epoch from the same initial model.
//  - plain: trainModel, batch q·cases, Adam at `lr`;
//  - dp:    trainModelDpSgd at the same expected batch and lr, C = `clip`, σ the smallest that keeps the
//           whole study within ε ≤ `epsilon` at δ = 1e-5 (noiseForEpsilon over rounds · ⌈1/q⌉ steps,
//           as the coordinator charges), seeded randomness so the run repeats;
//  - clip-only: the same DP-SGD with σ = 0 (no privacy), to tell what the noise costs from what
//           per-case clipping, Poisson batches and BatchNorm left untrained cost.
// Pooled AUC of each final model on 80 new cases per site (phantom seed 1011), and the time of each arm.
import { StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { auc } from '@fedaln/metrics';
import {
  buildModel,
  namedWeights,
  predictProbabilities,
  seededDpRandomness,
  selectEngine,
  setNamedWeights,
  trainModel,
  trainModelDpSgd,
} from '@fedaln/model';
import { generateSite, siteProfile } from '@fedaln/phantom';
import { dpSgdEpsilon, noiseForEpsilon } from '@fedaln/privacy';
import { subtractWeights } from '@fedaln/protocol';
import { normaliseRgb } from '../libs/model/src/images/normalise';
import { benchFlags } from './support/flags';

const { json, rounds, cases, q, epsilon, clip, lr } = benchFlags({
  json: false,
  rounds: 4,
  cases: 120,
  q: 0.1,
  epsilon: 8,
  clip: 1,
  lr: 0.002,
});
const SIZE = 32;
const SEED = 11;
const SITES = [1, 2, 3];
const DELTA = 1e-5;
// Phantom generator v1, pinned: the README figures are for it (a later default would change them).
const PHANTOM = 1;

function toInput(gray: Uint8Array): Float32Array {
  const rgb = new Uint8Array(gray.length * 3);
  gray.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  return normaliseRgb(rgb);
}
const build = () => buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 7 });

function siteData(k: number) {
  const site = generateSite(siteProfile(k, SEED, PHANTOM), cases, SIZE);
  return { images: site.map((c) => toInput(c.pixels)), labels: site.map((c) => c.label) };
}

async function federation(arm: 'plain' | 'dp' | 'clip-only', init: WeightTensor[], sigma: number) {
  const data = SITES.map(siteData);
  const stepsPerRound = Math.ceil(1 / q - 1e-9);
  const batchSize = Math.max(1, Math.round(q * cases));
  let global = init;
  const started = performance.now();
  for (let r = 1; r <= rounds; r++) {
    const layout = global.map(({ name, shape }) => ({ name, shape }));
    const fedavg = new StreamingFedAvg(layout, { global });
    for (const k of SITES) {
      const model = build();
      setNamedWeights(model, global);
      const options = { epochs: 1, batchSize, learningRate: lr, seed: 100 * r + k };
      const dataset = data[k - 1]!;
      if (arm === 'plain') await trainModel(model, dataset, options);
      else
        await trainModelDpSgd(model, dataset, {
          ...options,
          dp: { noiseMultiplier: sigma, clipNorm: clip, samplingRate: q, steps: stepsPerRound },
          randomness: seededDpRandomness(1000 * r + k),
        });
      fedavg.add(subtractWeights(namedWeights(model), global), cases);
      model.dispose();
    }
    global = fedavg.applyTo(global);
    fedavg.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const test = SITES.flatMap((k) => generateSite(siteProfile(k, SEED + 1000, PHANTOM), 80, SIZE));
  const model = build();
  setNamedWeights(model, global);
  const p = await predictProbabilities(
    model,
    test.map((c) => toInput(c.pixels)),
  );
  model.dispose();
  const pooled = auc(
    test.map((c) => c.label),
    p,
  );
  if (pooled === null) throw new Error('the phantom test set has a single class');
  return { arm, pooled_auc: pooled, seconds, test_cases: test.length };
}

async function main(): Promise<void> {
  await selectEngine('wasm');
  const steps = rounds * Math.ceil(1 / q - 1e-9);
  const planned = noiseForEpsilon(epsilon, { samplingRate: q, steps }, DELTA);
  if (!planned) throw new Error(`no σ ≤ 10⁴ reaches ε ${epsilon} over ${steps} steps at q ${q}`);
  const sigma = planned.noiseMultiplier;
  const spent = dpSgdEpsilon({ noiseMultiplier: sigma, samplingRate: q, steps }, DELTA);
  const g = build();
  const init = namedWeights(g);
  g.dispose();
  const plain = await federation('plain', init, 0);
  const dp = await federation('dp', init, sigma);
  const clipOnly = await federation('clip-only', init, 0);
  const result = {
    name: 'dp',
    sites: SITES.length,
    cases_per_site: cases,
    rounds,
    sampling_rate: q,
    clip_norm: clip,
    learning_rate: lr,
    noise_multiplier: sigma,
    steps_per_site: steps,
    epsilon: spent.epsilon,
    delta: DELTA,
    plain_pooled_auc: plain.pooled_auc,
    dp_pooled_auc: dp.pooled_auc,
    clip_only_pooled_auc: clipOnly.pooled_auc,
    auc_cost: plain.pooled_auc - dp.pooled_auc,
    plain_seconds: plain.seconds,
    dp_seconds: dp.seconds,
    clip_only_seconds: clipOnly.seconds,
    time_ratio: dp.seconds / plain.seconds,
    test_cases: plain.test_cases,
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `3 sites × ${cases} phantom cases, densenet-tiny 32 px, ${rounds} rounds of 1 epoch, q ${q}: ` +
      `DP σ ${sigma.toFixed(3)}, C ${clip}, ${steps} steps per site → ε ${spent.epsilon.toFixed(3)} at δ ${DELTA}`,
  );
  console.log(`plain  pooled AUC ${plain.pooled_auc.toFixed(4)}  ${plain.seconds.toFixed(1)} s`);
  console.log(
    `dp     pooled AUC ${dp.pooled_auc.toFixed(4)}  ${dp.seconds.toFixed(1)} s  (×${result.time_ratio.toFixed(1)} time)`,
  );
}

void main();
