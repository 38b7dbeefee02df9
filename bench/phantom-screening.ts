// `node --import tsx bench/phantom-screening.ts [--json] [--rounds 3] [--cases 60]`: what update
// screening does in a small phantom federation (issue 13), in process with the real training
// (`trainModel`, densenet-tiny at 32 px, wasm) and the real screening and FedAvg code. Five sites
// (libs/phantom, seed 11); three scenarios from the same initial model and seeds:
//  - honest:            five honest sites;
//  - attacked-screened: site 4 trains on shuffled labels, site 5 sends its update sign-flipped × 10,
//                       screening on (the defaults: clip × 3, reject cos < 0, down-weight cos < 0.2);
//  - attacked-plain:    the same attack with plain FedAvg.
// It prints each round's verdicts (a accepted, c clipped, d down-weighted, r rejected), each update's
// cosine / cosine z / norm z, and the AUC of the final model on 400 new cases (phantom seed 1011).
import {
  scaledUpdate,
  screeningVerdicts,
  screenUpdates,
  StreamingFedAvg,
  type ScreeningVerdict,
  type WeightTensor,
} from '@fedaln/aggregation';
import { auc } from '@fedaln/metrics';
import { buildModel, namedWeights, predictProbabilities, selectEngine, setNamedWeights } from '@fedaln/model';
import { generateSite, siteProfile } from '@fedaln/phantom';
import { subtractWeights } from '@fedaln/protocol';
import { normaliseRgb } from '../libs/model/src/images/normalise';
import { trainModel } from '../libs/model/src/train/train-model';
import { benchFlags } from './support/flags';

const { json, rounds, cases } = benchFlags({ json: false, rounds: 3, cases: 60 });
const SIZE = 32;
const SEED = 11;
const SCREENING = { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 };

function toInput(gray: Uint8Array): Float32Array {
  const rgb = new Uint8Array(gray.length * 3);
  gray.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  return normaliseRgb(rgb);
}
const build = () => buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 7 });

function siteData(k: number, shuffled: boolean) {
  const site = generateSite(siteProfile(k, SEED), cases, SIZE);
  let labels: number[] = site.map((c) => c.label);
  if (shuffled) {
    let s = 5;
    labels = labels.map(() => labels[(s = (s * 16807) % 2147483647) % labels.length] as number);
  }
  return { images: site.map((c) => toInput(c.pixels)), labels };
}

async function run(scenario: 'honest' | 'attacked-screened' | 'attacked-plain', init: WeightTensor[]) {
  const attacked = scenario !== 'honest';
  const data = [1, 2, 3, 4, 5].map((k) => siteData(k, attacked && k === 4));
  let global = init;
  const log: { verdicts: string; updates: string[] }[] = [];
  for (let r = 1; r <= rounds; r++) {
    const deltas: WeightTensor[][] = [];
    for (let k = 1; k <= 5; k++) {
      const model = build();
      setNamedWeights(model, global);
      await trainModel(model, data[k - 1] as (typeof data)[number], {
        epochs: 1,
        batchSize: 8,
        learningRate: 1e-3,
        seed: 100 * r + k,
      });
      let d = subtractWeights(namedWeights(model), global);
      model.dispose();
      if (attacked && k === 5) d = d.map((t) => ({ ...t, values: t.values.map((v) => -10 * v) }));
      deltas.push(d);
    }
    const layout = global.map(({ name, shape }) => ({ name, shape }));
    const verdicts: ScreeningVerdict[] | null =
      scenario === 'attacked-plain'
        ? null
        : screeningVerdicts(layout, screenUpdates(layout, deltas), SCREENING);
    if (verdicts) {
      log.push({
        verdicts: verdicts.map((v) => v.verdict[0]).join(''),
        updates: verdicts.map(
          (v) => `${v.cosine?.toFixed(3)}/${v.cosineZ?.toFixed(1)}/${v.normZ.toFixed(0)}`,
        ),
      });
    }
    const fedavg = new StreamingFedAvg(layout, { global });
    deltas.forEach((d, i) => {
      const v = verdicts?.[i];
      const n = Math.round(cases * (v?.weight ?? 1));
      if (v?.verdict !== 'rejected' && n >= 1) fedavg.add(scaledUpdate(d, v?.scale ?? 1), n);
    });
    global = fedavg.applyTo(global);
    fedavg.close();
  }
  const test = [1, 2, 3, 4, 5].flatMap((k) => generateSite(siteProfile(k, SEED + 1000), 80, SIZE));
  const model = build();
  setNamedWeights(model, global);
  const p = await predictProbabilities(
    model,
    test.map((c) => toInput(c.pixels)),
  );
  model.dispose();
  return {
    scenario,
    auc: auc(
      test.map((c) => c.label),
      p,
    ),
    rounds: log,
  };
}

async function main(): Promise<void> {
  await selectEngine('wasm');
  const g = build();
  const init = namedWeights(g);
  g.dispose();
  const results = [];
  for (const s of ['honest', 'attacked-screened', 'attacked-plain'] as const)
    results.push(await run(s, init));
  if (json) {
    console.log(JSON.stringify({ name: 'phantom-screening', rounds, cases, results }));
    return;
  }
  for (const r of results) {
    console.log(
      `${r.scenario.padEnd(18)} AUC ${r.auc?.toFixed(4)}  verdicts ${r.rounds.map((x) => x.verdicts).join(' ')}`,
    );
    r.rounds.forEach((x, i) => console.log(`  round ${i + 1}  cos/cosZ/normZ  ${x.updates.join('  ')}`));
  }
}

void main();
