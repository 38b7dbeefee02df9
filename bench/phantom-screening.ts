// `node --import tsx bench/phantom-screening.ts [--json] [--rounds 3] [--cases 60] [--epochs 1] [--seed 11]
// [--testCases 15] [--scenarios honest,attacked-screened,attacked-plain]`: what update
// screening does in a small phantom federation (issue 13), in process with the real training
// (`trainModel`, densenet-tiny at 32 px, wasm) and the real screening and FedAvg code. Five sites
// (libs/phantom, seed 11); three scenarios from the same initial model and seeds:
//  - honest:            five honest sites;
//  - attacked-screened: site 4 trains on shuffled labels, site 5 sends its update sign-flipped × 10,
//                       screening on (the defaults: clip × 3, reject cos < 0, down-weight cos < 0.2);
//  - attacked-plain:    the same attack with plain FedAvg;
//  - trained-flip / trained-flip-ungrouped: site 4 shuffled, site 5 flips only its trained tensors × 10
//                       and sends honest BatchNorm statistics; screened with and without the tensor
//                       groups (statistics clipped apart from the trained tensors, TensorGroups).
// Screening uses the coordinator's groups (BatchNorm moving statistics apart) unless said otherwise.
// For every site it also prints the cosine of its trained tensors alone to the median of the other
// sites' (what a shuffled-label detector would have to read: the statistics are label-blind) and the
// mean of that cosine over the rounds; the cosine of the classifier head (aln_output) alone; and, after
// each round, the global model's AUC ± DeLong SE on each site's own held-out cases (--testCases, from
// phantom seed SEED + 2000, the shuffled site's labels shuffled too): the update- and data-level
// signals issue 13 asked to measure (README "Tensor groups and the shuffled-label site").
// It prints each round's verdicts (a accepted, c clipped, d down-weighted, r rejected), each update's
// cosine / cosine z / norm z, and the AUC of the final model on 400 new cases (phantom seed 1011).
import {
  scaledUpdate,
  screeningVerdicts,
  screenUpdates,
  StreamingFedAvg,
  type LayoutEntry,
  type ScreeningVerdict,
  type WeightTensor,
} from '@fedaln/aggregation';
import { auc, delong } from '@fedaln/metrics';
import { buildModel, namedWeights, predictProbabilities, selectEngine, setNamedWeights } from '@fedaln/model';
import { generateSite, siteProfile } from '@fedaln/phantom';
import { isBatchNormStatisticName, subtractWeights } from '@fedaln/protocol';
import { normaliseRgb } from '../libs/model/src/images/normalise';
import { trainModel } from '../libs/model/src/train/train-model';
import { benchFlags } from './support/flags';

const flags = benchFlags({
  json: false,
  rounds: 3,
  cases: 60,
  epochs: 1,
  seed: 11,
  scenarios: 'honest,attacked-screened,attacked-plain',
  testCases: 15,
});
const { json, rounds, cases, epochs } = flags;
const SIZE = 32;
const SEED = flags.seed;
const SCENARIOS = [
  'honest',
  'attacked-screened',
  'attacked-plain',
  'trained-flip',
  'trained-flip-ungrouped',
] as const;
type Scenario = (typeof SCENARIOS)[number];
const scenarios = flags.scenarios.split(',').map((x) => {
  if (!(SCENARIOS as readonly string[]).includes(x))
    throw new Error(`--scenarios: ${x} is not one of ${SCENARIOS.join(', ')}`);
  return x as Scenario;
});
const GROUPS = { isStatistic: isBatchNormStatisticName };
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

/** A site's own held-out cases (its labels as wrong as its training labels). */
function siteTest(k: number, shuffled: boolean) {
  const site = generateSite(siteProfile(k, SEED + 2000), flags.testCases, SIZE);
  let labels: number[] = site.map((c) => c.label);
  if (shuffled) {
    let s = 9;
    labels = labels.map(() => labels[(s = (s * 16807) % 2147483647) % labels.length] as number);
  }
  return { images: site.map((c) => toInput(c.pixels)), labels };
}

/** The classifier head alone (aln_output kernel and bias): cosine to the median of the others'. */
function headCosines(layout: readonly LayoutEntry[], deltas: WeightTensor[][]) {
  const keep = layout.map((e, i) => (e.name.startsWith('aln_output') ? i : -1)).filter((i) => i >= 0);
  return screenUpdates(
    keep.map((i) => layout[i]!),
    deltas.map((d) => keep.map((i) => d[i]!)),
  ).updates.map((u) => u.cosine);
}

/** Each update's trained tensors alone (no BatchNorm statistics): cosine to the median of the others'. */
function trainedCosines(layout: readonly LayoutEntry[], deltas: WeightTensor[][]) {
  const keep = layout.map((e, i) => (isBatchNormStatisticName(e.name) ? -1 : i)).filter((i) => i >= 0);
  const sub = keep.map((i) => layout[i]!);
  return screenUpdates(
    sub,
    deltas.map((d) => keep.map((i) => d[i]!)),
  ).updates.map((u) => u.cosine);
}

async function run(scenario: Scenario, init: WeightTensor[]) {
  const attacked = scenario !== 'honest';
  const trainedOnly = scenario.startsWith('trained-flip');
  const data = [1, 2, 3, 4, 5].map((k) => siteData(k, attacked && k === 4));
  const tests = [1, 2, 3, 4, 5].map((k) => siteTest(k, attacked && k === 4));
  let global = init;
  const log: {
    verdicts: string;
    updates: string[];
    trainedCosines: number[];
    headCosines: number[];
    siteAuc: { auc: number; variance: number | null }[];
  }[] = [];
  for (let r = 1; r <= rounds; r++) {
    const deltas: WeightTensor[][] = [];
    for (let k = 1; k <= 5; k++) {
      const model = build();
      setNamedWeights(model, global);
      await trainModel(model, data[k - 1] as (typeof data)[number], {
        epochs,
        batchSize: 8,
        learningRate: 1e-3,
        seed: 100 * r + k,
      });
      let d = subtractWeights(namedWeights(model), global);
      model.dispose();
      if (attacked && k === 5)
        d = d.map((t) =>
          trainedOnly && isBatchNormStatisticName(t.name)
            ? t
            : { ...t, values: t.values.map((v) => -10 * v) },
        );
      deltas.push(d);
    }
    const layout = global.map(({ name, shape }) => ({ name, shape }));
    const verdicts: ScreeningVerdict[] | null =
      scenario === 'attacked-plain'
        ? null
        : screeningVerdicts(
            layout,
            screenUpdates(layout, deltas, { trained: (name) => !isBatchNormStatisticName(name) }),
            SCREENING,
            scenario === 'trained-flip-ungrouped' ? undefined : GROUPS,
          );
    log.push({
      verdicts: verdicts?.map((v) => v.verdict[0]).join('') ?? '',
      updates:
        verdicts?.map((v) => `${v.cosine?.toFixed(3)}/${v.cosineZ?.toFixed(1)}/${v.normZ.toFixed(0)}`) ?? [],
      trainedCosines: trainedCosines(layout, deltas),
      headCosines: headCosines(layout, deltas),
      siteAuc: [],
    });
    const fedavg = new StreamingFedAvg(layout, { global });
    deltas.forEach((d, i) => {
      const v = verdicts?.[i];
      const n = Math.round(cases * (v?.weight ?? 1));
      if (v?.verdict !== 'rejected' && n >= 1) fedavg.add(scaledUpdate(d, v?.scale ?? 1), n);
    });
    global = fedavg.applyTo(global);
    fedavg.close();
    const evalModel = build();
    setNamedWeights(evalModel, global);
    for (const t of tests) {
      const d = delong(t.labels, await predictProbabilities(evalModel, t.images));
      log[log.length - 1]!.siteAuc.push({ auc: d?.auc ?? NaN, variance: d?.variance ?? null });
    }
    evalModel.dispose();
  }
  const test = [1, 2, 3, 4, 5].flatMap((k) => generateSite(siteProfile(k, SEED + 1000), 80, SIZE));
  const model = build();
  setNamedWeights(model, global);
  const p = await predictProbabilities(
    model,
    test.map((c) => toInput(c.pixels)),
  );
  model.dispose();
  const meanTrainedCosine = [0, 1, 2, 3, 4].map(
    (i) => log.reduce((a, r) => a + r.trainedCosines[i]!, 0) / log.length,
  );
  return {
    scenario,
    meanTrainedCosine,
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
  for (const s of scenarios) results.push(await run(s, init));
  if (json) {
    console.log(JSON.stringify({ name: 'phantom-screening', seed: SEED, rounds, cases, epochs, results }));
    return;
  }
  for (const r of results) {
    console.log(
      `${r.scenario.padEnd(18)} AUC ${r.auc?.toFixed(4)}  verdicts ${r.rounds.map((x) => x.verdicts).join(' ')}`,
    );
    r.rounds.forEach((x, i) =>
      console.log(
        `  round ${i + 1}  cos/cosZ/normZ  ${x.updates.join('  ')}  trained cos ${x.trainedCosines.map((c) => c.toFixed(3)).join(' ')}  head cos ${x.headCosines.map((c) => c.toFixed(3)).join(' ')}  site AUC ${x.siteAuc.map((a) => `${a.auc.toFixed(2)}±${Math.sqrt(a.variance ?? NaN).toFixed(2)}`).join(' ')}`,
      ),
    );
    console.log(`  mean trained cos per site  ${r.meanTrainedCosine.map((c) => c.toFixed(3)).join(' ')}`);
  }
}

void main();
