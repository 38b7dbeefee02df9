import { describe, expect, it } from '@jest/globals';
import { medianOf, sortColumn, trimmedMeanOfSorted } from './column-order';
import { CoordinateRobustMean } from './coordinate-robust-mean';
import { scaledUpdate } from './scaled-update';
import { COSINE_OUTLIER_Z, NORM_OUTLIER_Z, screeningVerdicts } from './screening-verdicts';
import { StreamingFedAvg, type TensorSource, type WeightTensor } from './streaming-fedavg';
import { screenUpdates, type RoundScreening } from './update-screening';
import reference from '../fixtures/robust.json';

// Reference values: fixtures/robust.json, made by fixtures/make_robust_fixtures.py (numpy.median and
// scipy.stats.trim_mean per coordinate, numpy norms and cosines; versions in its `source`).
const layout = reference.layout;
const sizes = layout.map((e) => e.shape.reduce((a, b) => a * b, 1));
const split = (flat: readonly number[]): WeightTensor[] => {
  let at = 0;
  return layout.map((e, k) => {
    const values = Float32Array.from(flat.slice(at, (at += sizes[k] as number)));
    return Object.freeze({ name: e.name, shape: e.shape, values });
  });
};
/** Read on demand, and counted, so a test can see the update is never read whole. */
const onDemand = (ts: readonly WeightTensor[], reads: number[]): TensorSource[] =>
  ts.map((t) => ({
    name: t.name,
    shape: t.shape,
    read: (from: number, into: Float32Array) => {
      reads.push(into.length);
      into.set(t.values.subarray(from, from + into.length));
    },
  }));
const updates = Object.freeze(reference.updates.map(split));
const global = split(reference.global);
const flat = (ts: readonly WeightTensor[]) => ts.flatMap((t) => [...t.values]);

function robustModel(kind: 'median' | 'trimmed-mean', beta: number, chunk: number, reads: number[]) {
  const mean = new CoordinateRobustMean(
    layout,
    updates.map((u) => onDemand(u, reads)),
    { kind, beta, chunk },
  );
  return global.map((g, k) => {
    const out = new Float32Array(g.values.length);
    mean.applyChunk(k, 0, out, g.values);
    return { ...g, values: out };
  });
}

describe('column order statistics', () => {
  it('sorts, takes the median (numpy.median) and the trimmed mean (scipy.stats.trim_mean)', () => {
    const col = Float64Array.of(5, -1, 3, 3, 100);
    sortColumn(col, 5);
    expect([...col]).toEqual([-1, 3, 3, 5, 100]);
    // trim_mean([-1, 3, 3, 5, 100], 0.2) cuts one value from each end: (3 + 3 + 5) / 3.
    expect(trimmedMeanOfSorted(col, 5, 0.2)).toBeCloseTo(11 / 3, 15);
    expect(medianOf([1, 2, 4, 8])).toBe(3);
    expect(() => trimmedMeanOfSorted(col, 5, 0.5)).toThrow(/β 0.5/);
  });
});

describe('CoordinateRobustMean', () => {
  it.each([
    ['median', 0, reference.median],
    ['trimmed-mean', 0.2, reference.trimmed_mean_0_2],
    ['trimmed-mean', 0.4, reference.trimmed_mean_0_4],
  ] as const)('%s (β %s) matches numpy/scipy bit for bit after rounding to float32', (kind, beta, want) => {
    for (const chunk of [1, 4, 1 << 14]) {
      const reads: number[] = [];
      expect(flat(robustModel(kind, beta, chunk, reads))).toEqual(want);
      expect(Math.max(...reads)).toBeLessThanOrEqual(chunk); // memory is K × chunk, never K × model
    }
  });

  it('stays near the honest mean where FedAvg follows the sign-flipped ×10 update', () => {
    const mean = (us: readonly WeightTensor[][]) => {
      const fedavg = new StreamingFedAvg(layout);
      for (const u of us) fedavg.add(u, 1);
      return flat(fedavg.result());
    };
    const honest = mean(updates.slice(0, 3) as WeightTensor[][]);
    const distance = (xs: readonly number[]) => Math.hypot(...xs.map((v, j) => v - (honest[j] as number)));
    const median = reference.median.map((m, j) => m - (reference.global[j] as number));
    // Measured: 0.068 against 0.45 (the median keeps the honest updates' own scatter, σ 0.02 per value).
    expect(distance(median)).toBeLessThan(0.2 * distance(mean(updates as WeightTensor[][])));
  });

  it('names a value that is not finite', () => {
    const bad = split(reference.updates[0] as number[]);
    (bad[1] as { values: Float32Array }).values[2] = NaN;
    const mean = new CoordinateRobustMean(layout, [bad, ...updates.slice(1)], { kind: 'median' });
    expect(() => mean.applyChunk(1, 0, new Float32Array(5), global[1]?.values as Float32Array)).toThrow(
      /value NaN at index 2 of tensor conv\/bias/,
    );
  });
});

describe('screenUpdates', () => {
  it('measures norms, per-tensor norms and cosines to the median of the other updates (numpy)', () => {
    for (const chunk of [1, 3, 1 << 14]) {
      const reads: number[] = [];
      const s = screenUpdates(
        layout,
        updates.map((u) => onDemand(u, reads)),
        { chunk },
      );
      expect(Math.max(...reads)).toBeLessThanOrEqual(chunk);
      s.updates.forEach((u, i) => {
        expect(u.norm).toBeCloseTo(reference.norms[i] as number, 12);
        expect(u.cosine).toBeCloseTo(reference.cosines[i] as number, 12);
        expect(u.centreNorm).toBeCloseTo(reference.loo_centre_norms[i] as number, 12);
        expect([...u.tensorNorms].map((x) => +x.toFixed(12))).toEqual(
          (reference.tensor_norms[i] as number[]).map((x) => +x.toFixed(12)),
        );
        expect(u.nonFinite).toBeNull();
      });
    }
  });

  it('leaves a NaN out of the centre and names where it is', () => {
    const bad = split(reference.updates[4] as number[]);
    (bad[0] as { values: Float32Array }).values[7] = Infinity;
    const s = screenUpdates(layout, [...updates.slice(0, 4), bad]);
    expect(s.updates[4]?.nonFinite).toEqual({ tensor: 'conv/kernel', index: 7, value: Infinity });
    expect(s.updates[0]?.norm).toBeCloseTo(reference.norms[0] as number, 12);
  });
});

describe('screenUpdates with a sampled centre', () => {
  it('measures the cosines on one coordinate in s (random start per chunk) to within 0.03 of all of them', () => {
    // 40,000 coordinates, 4 updates: three around one direction, one against it. Norms stay exact.
    let seed = 3;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const dir = Float32Array.from({ length: 40_000 }, () => next() - 0.5);
    const make = (sign: number) => [
      {
        name: 'w',
        shape: [40_000],
        values: Float32Array.from(dir, (d) => sign * d + (next() - 0.5) * 0.8),
      },
    ];
    const round = [make(1), make(1), make(1), make(-3)];
    const layoutW = [{ name: 'w', shape: [40_000] }];
    const exact = screenUpdates(layoutW, round, { chunk: 4096 });
    const sampled = screenUpdates(layoutW, round, { chunk: 4096, sampleEvery: 8, random: next });
    expect(sampled.sampled).toBe(5000); // 40,000 / 8, whatever the starts
    expect(exact.sampled).toBe(40_000);
    sampled.updates.forEach((u, i) => {
      expect(u.norm).toBe(exact.updates[i]?.norm);
      // A 5,000-coordinate sample: 0.03 is about two standard errors of a cosine estimate (1/√5000 ≈ 0.014).
      expect(Math.abs(u.cosine - (exact.updates[i]?.cosine as number))).toBeLessThan(0.03);
    });
    expect(sampled.updates[3]?.cosine).toBeLessThan(-0.5);
    expect(() => screenUpdates(layoutW, round, { sampleEvery: 0 })).toThrow(/sampleEvery 0/);
  });
});

describe('screeningVerdicts', () => {
  const screening = screenUpdates(layout, updates);

  it('with the defaults (clip × 3, reject cos < 0, down-weight cos < 0.2) rejects the flipped and the unrelated update', () => {
    const v = screeningVerdicts(layout, screening, { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 });
    expect(v.map((x) => x.verdict)).toEqual(['accepted', 'accepted', 'accepted', 'rejected', 'rejected']);
    expect(v[3]?.reason).toMatch(/cosine to the median of the other updates is -0.884/);
    v.forEach((x, i) => expect(x.normZ).toBeCloseTo(reference.norm_z[i] as number, 9));
    expect(v[0]?.clipBound).toBeCloseTo(reference.median_norm * 3, 12);
    expect(v[3]?.worstTensor?.ratioToMedian).toBeGreaterThan(5);
    expect(v.map((x) => x.weight)).toEqual([1, 1, 1, 0, 0]);
  });

  it('clips above median × c and down-weights by cos / threshold', () => {
    const v = screeningVerdicts(layout, screening, {
      clipFactor: 1.1,
      rejectCosine: -0.9,
      downWeightCosine: 0.2,
    });
    expect(v.map((x) => x.verdict)).toEqual([
      'accepted',
      'accepted',
      'clipped',
      'down-weighted',
      'down-weighted',
    ]);
    const bound = reference.median_norm * 1.1;
    expect(v[2]?.scale).toBeCloseTo(bound / (reference.norms[2] as number), 12);
    expect(v[3]?.scale).toBeCloseTo(bound / (reference.norms[3] as number), 12); // clipped as well
    expect(v[3]?.reason).toMatch(/weight is multiplied by 0.000.*scaled by/);
    expect(v[4]?.weight).toBe(0); // cos −0.083 → max(0, cos) / 0.2
  });

  // Round 2 of a phantom federation (5 sites × 60 cases, densenet-tiny at 32 px, measured with
  // bench/phantom-screening.ts): honest updates nearly orthogonal, a shuffled-label site, and a
  // site sending its update sign-flipped × 10.
  const phantomRound2 = (): RoundScreening => ({
    sampled: 1000,
    updates: [
      [0.74, 0.187],
      [0.73, 0.052],
      [0.74, 0.037],
      [0.7, -0.08],
      [7.33, -0.173],
    ].map(([norm, cosine]) => ({
      norm: norm as number,
      tensorNorms: Float64Array.of(norm as number),
      cosine: cosine as number,
      trainedCosine: null,
      centreNorm: 1,
      nonFinite: null,
    })),
  });
  const oneTensor = [{ name: 'w', shape: [1] }];

  it('does not flag nearly orthogonal honest updates for low cosines that are not outliers of the round', () => {
    const v = screeningVerdicts(oneTensor, phantomRound2(), {
      clipFactor: 3,
      rejectCosine: 0,
      downWeightCosine: 0.2,
    });
    // Cosines 0.037–0.187 are all below 0.2, but their robust z is near 0: accepted.
    expect(v.slice(0, 3).map((x) => x.verdict)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(v[3]?.verdict).toBe('accepted'); // the shuffled-label site: not told apart here (README)
  });

  it('rejects an update whose norm is an extreme outlier and whose cosine is negative, though its cosine z is not', () => {
    const v = screeningVerdicts(oneTensor, phantomRound2(), {
      clipFactor: 3,
      rejectCosine: 0,
      downWeightCosine: 0.2,
    });
    expect(v[4]?.cosineZ).toBeGreaterThan(COSINE_OUTLIER_Z);
    expect(v[4]?.normZ).toBeGreaterThan(NORM_OUTLIER_Z);
    expect(v[4]?.verdict).toBe('rejected');
  });

  // Round 1 of a phantom federation (5 sites × 60 cases, densenet-tiny at 32 px, phantom seed 11,
  // learning rate 0.005, measured in process with the real training as bench/phantom-screening.ts
  // does): site 4 sends its trained tensors sign-flipped × 10 and its BatchNorm moving statistics as
  // trained; site 5 trains on shuffled labels. Per update: the norm of its trained tensors, of the
  // whole update, the whole update's cosine to the others' median and its trained tensors' cosine.
  const trainedOnlyFlip = (): RoundScreening => ({
    sampled: 1000,
    updates: [
      [3.597, 20.812, 0.899, 0.03],
      [3.741, 21.146, 0.862, 0.053],
      [3.739, 21.529, 0.795, 0.045],
      [37.713, 43.116, 0.424, -0.036],
      [3.646, 20.899, 0.896, 0.052],
    ].map(([trained, whole, cosine, trainedCosine]) => ({
      norm: whole as number,
      tensorNorms: Float64Array.of(
        trained as number,
        Math.sqrt((whole as number) ** 2 - (trained as number) ** 2),
      ),
      cosine: cosine as number,
      trainedCosine: trainedCosine as number,
      centreNorm: 1,
      nonFinite: null,
    })),
  });
  const twoGroups = [
    { name: 'conv/kernel', shape: [1] },
    { name: 'conv_bn/moving_mean', shape: [1] },
  ];
  const statistics = { isStatistic: (name: string) => name.endsWith('/moving_mean') };
  const defaults = { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 };

  it('without groups, accepts a site that flips its trained tensors × 10 behind honest BatchNorm statistics', () => {
    // What screening did before tensor groups: the statistics dominate the norm (2.1× the median) and the cosine.
    const v = screeningVerdicts(twoGroups, trainedOnlyFlip(), defaults);
    expect(v.map((x) => x.verdict)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    expect(v.map((x) => x.trainedCosine)).toEqual([null, null, null, null, null]);
  });

  it('with groups, rejects it: trained norm 10× their median and trained cosine below 0', () => {
    const v = screeningVerdicts(twoGroups, trainedOnlyFlip(), defaults, statistics);
    expect(v.map((x) => x.verdict)).toEqual(['accepted', 'accepted', 'accepted', 'rejected', 'accepted']);
    expect(v[3]?.trainedNorm).toBeCloseTo(37.713, 6);
    expect(v[3]?.trainedCosine).toBe(-0.036);
    expect(v[3]?.reason).toMatch(
      /trained tensors' norm 37\.71 is 10\.1× the round's median 3\.739 .* cosine .* is -0\.036, below the reject threshold 0/,
    );
    expect(v[0]?.trainedNorm).toBeCloseTo(3.597, 6);
  });

  it('with groups, clips each group to its own median × c when the trained cosine is not below the threshold', () => {
    const round = trainedOnlyFlip();
    const positive: RoundScreening = {
      ...round,
      updates: round.updates.map((u, i) => (i === 3 ? { ...u, trainedCosine: 0.01 } : u)),
    };
    const v = screeningVerdicts(twoGroups, positive, defaults, statistics);
    expect(v.map((x) => x.verdict)).toEqual(['accepted', 'accepted', 'accepted', 'clipped', 'accepted']);
    // median trained norm 3.739 × 3 / 37.713
    expect(v[3]?.scale).toBeCloseTo((3.739 * 3) / 37.713, 6);
    expect(v[3]?.reason).toMatch(
      /norm of its trained tensors 37\.71 is 10\.1× the round's median 3\.739.*scaled by 0\.2974/,
    );
  });

  it('with groups, leaves the sign-flipped whole update rejected and one-group layouts as before', () => {
    const isKernel = { isStatistic: (name: string) => name === layout[0]?.name };
    const trained = (name: string) => name !== layout[0]?.name;
    const round = [...updates.slice(0, 4), updates[4] as WeightTensor[]];
    expect(
      screeningVerdicts(layout, screenUpdates(layout, round, { trained }), defaults, isKernel).map(
        (x) => x.verdict,
      ),
    ).toEqual(screeningVerdicts(layout, screenUpdates(layout, round), defaults).map((x) => x.verdict));
    const one = screeningVerdicts(oneTensor, phantomRound2(), defaults, statistics);
    expect(one.map((x) => [x.verdict, x.scale, x.trainedNorm])).toEqual(
      screeningVerdicts(oneTensor, phantomRound2(), defaults).map((x) => [x.verdict, x.scale, null]),
    );
  });

  it("measures the trained tensors' cosine over their coordinates alone (numpy, fixtures/robust.json)", () => {
    // With every tensor trained, the trained cosine is the whole cosine the fixture names.
    const all = screenUpdates(layout, updates, { trained: () => true });
    all.updates.forEach((u, i) => expect(u.trainedCosine).toBeCloseTo(reference.cosines[i] as number, 6));
    expect(screenUpdates(layout, updates).updates[0]?.trainedCosine).toBeNull();
  });

  it('makes no cosine verdict with fewer than three updates (the median of two is their mean)', () => {
    const two = screenUpdates(layout, [updates[0] as WeightTensor[], updates[3] as WeightTensor[]]);
    const v = screeningVerdicts(layout, two, { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 });
    expect(v.map((x) => [x.verdict, x.cosine])).toEqual([
      ['accepted', null],
      ['accepted', null],
    ]);
  });
});

describe('scaledUpdate', () => {
  it('multiplies every value as it is read, without copying the update', () => {
    const [kernel] = scaledUpdate(updates[0] as WeightTensor[], 0.5) as TensorSource[];
    const into = new Float32Array(3);
    kernel?.read(2, into);
    expect([...into]).toEqual(
      [...(updates[0]?.[0]?.values.subarray(2, 5) ?? [])].map((x) => Math.fround(x * 0.5)),
    );
    expect(() => scaledUpdate([], NaN)).toThrow(/scale NaN/);
  });
});
