/**
 * Slow tier: the standard sanity check of a federated trainer (McMahan et al., AISTATS 2017: with
 * one client FedAvg is plain local training). One site trains E local epochs from the global
 * model, sends delta = local − global through the wire codec, the coordinator folds it with
 * StreamingFedAvg and applies it to the global; the result must equal centralised training for E
 * epochs from the same weights, on the same data with the same seed (densenet-tiny, 32 px, wasm).
 *
 * Tolerance, by hand (float32, round to nearest, unit roundoff u = 2⁻²⁴): with L the trained
 * weights and G the global, the site sends d = fl(L − G) = (L − G)(1 + ε₁); StreamingFedAvg rounds
 * n·d to its grid q = M·2⁻²⁶ (libs/aggregation/src/grid.ts; M the tensor's scale from G), so its mean is d + η with
 * |η| ≤ q/(2n), and returns fl(G + d + η) = (L + (L − G)ε₁ + η)(1 + ε₂), |εᵢ| ≤ u. So
 * |FedAvg − L| ≤ u·|L − G| + u·(|L| + u·|L − G| + |η|) + |η| ≤ 2⁻²³·(|L| + |L − G|) + 2|η| per
 * element, if centralised training gives L again (trainModel: same seed, data, engine → identical
 * weights).
 */
import { describe, expect, it } from '@jest/globals';
import { GRID_LOG2, gridScale, StreamingFedAvg } from '@fedaln/aggregation';
import { buildModel, namedWeights, selectEngine, setNamedWeights } from '@fedaln/model';
import { generateSite, siteProfile } from '@fedaln/phantom';
import { decodeBlob, encodeBlob, subtractWeights } from '@fedaln/protocol';
import { normaliseRgb } from '../../libs/model/src/images/normalise';
import { trainModel } from '../../libs/model/src/train/train-model';

const SIZE = 32;
const CASES = 40;
const EPOCHS = 2;
const SEED = 20251127;
const ENGINE = (process.env.FEDALN_SLOW_ENGINE as 'wasm' | 'cpu' | undefined) ?? 'wasm';
const OPTIONS = { epochs: EPOCHS, batchSize: 8, learningRate: 5e-3, seed: SEED };

/** Gray phantom pixels → the model's input (three equal channels, Keras DenseNet normalisation). */
function toInput(gray: Uint8Array): Float32Array {
  const rgb = new Uint8Array(gray.length * 3);
  gray.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  return normaliseRgb(rgb);
}

describe('FedAvg sanity (slow)', () => {
  it(`one site, ${EPOCHS} local epochs: FedAvg's new global equals centralised training (${ENGINE})`, async () => {
    await selectEngine(ENGINE);
    const cases = generateSite(siteProfile(1, SEED), CASES, SIZE);
    const data = { images: cases.map((c) => toInput(c.pixels)), labels: cases.map((c) => c.label) };
    const build = () => buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 7 });
    const globalModel = build();
    const global = namedWeights(globalModel);
    globalModel.dispose();

    // The site: load the global, train, send the delta as an f32 blob (what fedaln-site uploads).
    const siteModel = build();
    setNamedWeights(siteModel, global);
    await trainModel(siteModel, data, OPTIONS);
    const delta = decodeBlob(encodeBlob(subtractWeights(namedWeights(siteModel), global)).bytes);
    siteModel.dispose();
    // The coordinator: one update, weighted by its training cases, applied to the global.
    const fedavg = new StreamingFedAvg(
      global.map(({ name, shape }) => ({ name, shape })),
      { global },
    );
    fedavg.add(delta, CASES);
    const federated = fedavg.applyTo(global);

    // Centralised: the same start, data, seed and epochs, trained directly.
    const central = build();
    setNamedWeights(central, global);
    await trainModel(central, data, OPTIONS);
    const centralised = namedWeights(central);
    central.dispose();

    expect(federated.map((t) => t.name)).toEqual(centralised.map((t) => t.name));
    let changed = 0;
    let worst = { excess: -Infinity, where: '' };
    federated.forEach((t, k) => {
      const c = centralised[k]!.values;
      const g = global[k]!.values;
      const eta = (gridScale(g.reduce((m, x) => Math.max(m, Math.abs(x)), 0)) * 2 ** GRID_LOG2) / (2 * CASES);
      t.values.forEach((v, i) => {
        const l = c[i]!;
        if (l !== g[i]) changed++;
        const excess = Math.abs(v - l) - (2 ** -23 * (Math.abs(l) + Math.abs(l - g[i]!)) + 2 * eta);
        if (excess > worst.excess) worst = { excess, where: `${t.name}[${i}]: ${v} vs ${l}` };
      });
    });
    // Training moved the weights (else the comparison below would hold trivially).
    expect(changed).toBeGreaterThan(1000);
    expect(worst.excess <= 0 ? 'within tolerance' : worst.where).toBe('within tolerance');
  });
});
