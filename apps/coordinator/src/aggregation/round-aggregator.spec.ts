import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CoordinateRobustMean, StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { decodeBlob, encodeBlob } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileBlobStore } from '../blobs/blob-store';
import type { GlobalModel, Participant } from '../domain/records';
import { GlobalModelRepository } from '../models/global-model.repository';
import { BlobCache } from '../blobs/blob-cache';
import { RoundAggregator } from './round-aggregator';
import type { RoundPlan } from './round-plan';
import { QuorumLostToScreening } from './screened-round';

class MemoryModels extends GlobalModelRepository {
  private readonly models = new Map<string, GlobalModel>();
  async add(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    const stored = { ...model, createdAt: new Date(0) };
    this.models.set(`${model.studyId}/${model.version}`, stored);
    return stored;
  }
  async find(studyId: string, version: number): Promise<GlobalModel | null> {
    return this.models.get(`${studyId}/${version}`) ?? null;
  }
}

/** Park–Miller minimal standard generator. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const tensor = (name: string, values: ArrayLike<number>): WeightTensor => ({
  name,
  shape: [values.length],
  values: Float32Array.from(values),
});
const u = prng(7);
const global = [
  tensor(
    'conv/kernel',
    Array.from({ length: 2000 }, () => u() - 0.5),
  ),
  tensor('conv/bias', [0.1, -0.2, 0.3]),
];
const delta = (scale: number): WeightTensor[] =>
  global.map((t) =>
    tensor(
      t.name,
      Array.from(t.values, () => (u() - 0.5) * scale),
    ),
  );
const sites = [
  { siteId: 'a', nTrain: 120, update: delta(1e-2) },
  { siteId: 'b', nTrain: 80, update: delta(1e-2) },
  { siteId: 'c', nTrain: 33, update: delta(1e-3) },
];

/** The participant row of an uploaded update in round 1 of study 's'. */
const uploadRow = (siteId: string, nTrain: number, updateSha256: string): Participant => ({
  studyId: 's',
  roundNumber: 1,
  siteId,
  state: 'uploaded',
  reason: null,
  nTrain,
  updateSha256,
  updateBytes: null,
  screening: null,
});

/** Study 's' at version 0 = `global`, stored in `blobs`. */
async function modelsWithBase(blobs: FileBlobStore): Promise<MemoryModels> {
  const models = new MemoryModels();
  const base = encodeBlob(global);
  await blobs.put(base.bytes);
  await models.add({
    studyId: 's',
    version: 0,
    sha256: base.sha256,
    bytes: base.bytes.length,
    roundNumber: null,
  });
  return models;
}

describe('RoundAggregator', () => {
  let dir: string;
  let blobs: FileBlobStore;
  let aggregator: RoundAggregator;
  let warnings: string[];
  const stored = new Map<string, string>();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-aggregator-'));
    blobs = new FileBlobStore(path.join(dir, 'blobs'));
    const models = await modelsWithBase(blobs);
    for (const s of sites) {
      const blob = encodeBlob(s.update);
      await blobs.put(blob.bytes);
      stored.set(s.siteId, blob.sha256);
    }
    warnings = [];
    aggregator = new RoundAggregator(blobs, new BlobCache(blobs), models, {
      warn: (_obj, msg) => warnings.push(msg),
    });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const participant = (s: (typeof sites)[number]): Participant =>
    uploadRow(s.siteId, s.nTrain, stored.get(s.siteId) as string);
  const accept = async (s: (typeof sites)[number]): Promise<void> => {
    const checked = await aggregator.verify('s', 1, s.update, s.nTrain);
    aggregator.accepted(
      's',
      1,
      { siteId: s.siteId, sha256: stored.get(s.siteId) as string, nTrain: s.nTrain },
      checked,
    );
  };

  it('folds waiting updates two at a time from the blob store; the new global is what add() one at a time gives', async () => {
    await accept(sites[0] as (typeof sites)[number]);
    await accept(sites[1] as (typeof sites)[number]);
    expect(aggregator.pendingCount('s')).toBe(2);
    expect(await aggregator.foldPending('s')).toBe(2);
    expect(aggregator.pendingCount('s')).toBe(0);
    await accept(sites[2] as (typeof sites)[number]); // left waiting: the aggregation folds it
    const next = await aggregator.aggregate('s', 1, sites.map(participant));
    const file = await blobs.localFile(next.sha256);
    expect(file).not.toBeNull();
    const bytes = fs.readFileSync(file as string);
    // Reference: the library folding the same deltas one at a time, in memory.
    const reference = new StreamingFedAvg(global, { global, thread: 'never' });
    for (const s of sites) reference.add(s.update, s.nTrain);
    expect(Buffer.from(bytes).equals(Buffer.from(encodeBlob(reference.applyTo(global)).bytes))).toBe(true);
    // and, independently, the weighted mean in float64 to within float32 rounding
    const W = sites.reduce((a, s) => a + s.nTrain, 0);
    decodeBlob(bytes).forEach((t, k) => {
      t.values.forEach((v, i) => {
        const mean =
          sites.reduce((a, s) => a + s.nTrain * ((s.update[k] as WeightTensor).values[i] as number), 0) / W;
        const g = (global[k] as WeightTensor).values[i] as number;
        expect(Math.abs(v - (g + mean))).toBeLessThanOrEqual(2 ** -24 * Math.abs(g + mean) + 2 ** -27);
      });
    });
  });

  it('counts accepted updates not folded yet against the range when it verifies the next', async () => {
    // Each within the bias tensor's range 2²⁵ alone (scale 1), the two together beyond it.
    const big = [global[0] as WeightTensor, tensor('conv/bias', [0.9 * 2 ** 25, 0, 0])];
    const first = await aggregator.verify('s', 1, big, 1);
    aggregator.accepted('s', 1, { siteId: 'a', sha256: stored.get('a') as string, nTrain: 1 }, first);
    await expect(aggregator.verify('s', 1, big, 1)).rejects.toMatchObject({
      code: 'out_of_range',
      tensor: 'conv/bias',
    });
  });

  it('drops the accumulator when a stored update cannot be read; the aggregation then fails naming it', async () => {
    await accept(sites[0] as (typeof sites)[number]);
    const sha = stored.get('a') as string;
    fs.truncateSync(path.join(dir, 'blobs', sha.slice(0, 2), sha), 100);
    expect(await aggregator.foldPending('s')).toBe(0);
    expect(warnings).toEqual([expect.stringContaining('fold failed')]);
    expect(aggregator.pendingCount('s')).toBe(0);
    await expect(
      aggregator.aggregate('s', 1, [participant(sites[0] as (typeof sites)[number])]),
    ).rejects.toThrow(/ended at byte|truncated|shorter|blob/i);
  });
});

describe('RoundAggregator with a screening plan (issue 13)', () => {
  // Three honest sites: one direction plus noise; a fourth sends the sign-flipped direction × 10.
  const direction = delta(1e-2);
  const around = (scale: number): WeightTensor[] =>
    direction.map((t) =>
      tensor(
        t.name,
        Array.from(t.values, (v) => scale * v + (u() - 0.5) * 2e-3),
      ),
    );
  const round = [
    { siteId: 'h1', nTrain: 50, update: around(1) },
    { siteId: 'h2', nTrain: 70, update: around(1) },
    { siteId: 'h3', nTrain: 60, update: around(1) },
    { siteId: 'x', nTrain: 60, update: around(-10) },
  ];
  const screening = { clipFactor: 3, rejectCosine: 0, downWeightCosine: 0.2 };
  let dir: string;

  async function setUp(plan: RoundPlan) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-screened-'));
    const blobs = new FileBlobStore(path.join(dir, 'blobs'));
    const models = await modelsWithBase(blobs);
    const aggregator = new RoundAggregator(blobs, new BlobCache(blobs), models, undefined, {
      planOf: async () => plan,
    });
    const uploads: Participant[] = [];
    for (const s of round) {
      const blob = encodeBlob(s.update);
      await blobs.put(blob.bytes);
      const checked = await aggregator.verify('s', 1, s.update, s.nTrain);
      aggregator.accepted('s', 1, { siteId: s.siteId, sha256: blob.sha256, nTrain: s.nTrain }, checked);
      expect(await aggregator.foldPending('s')).toBe(0); // screened at aggregation, not on arrival
      uploads.push(uploadRow(s.siteId, s.nTrain, blob.sha256));
    }
    return { aggregator, blobs, uploads };
  }
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const honest = round.slice(0, 3);
  const modelOf = async (blobs: FileBlobStore, sha256: string) =>
    fs.readFileSync((await blobs.localFile(sha256)) as string);

  it('rejects the sign-flipped ×10 update and folds the honest ones exactly as FedAvg of those alone', async () => {
    const plan = {
      shares: 4,
      minSites: 2,
      screening,
      aggregator: 'fedavg',
      trimBeta: 0.2,
      strategy: { name: 'fedavg' },
      secure: false,
    } as const;
    const { aggregator, blobs, uploads } = await setUp(plan);
    const next = await aggregator.aggregate('s', 1, uploads);
    expect([...next.screening].map(([site, v]) => [site, v.verdict])).toEqual([
      ['h1', 'accepted'],
      ['h2', 'accepted'],
      ['h3', 'accepted'],
      ['x', 'rejected'],
    ]);
    expect(next.screening.get('x')?.reason).toMatch(/cosine to the median of the other updates is -0\.9/);
    const reference = new StreamingFedAvg(global, { global, thread: 'never' });
    for (const s of honest) reference.add(s.update, s.nTrain);
    expect(
      (await modelOf(blobs, next.sha256)).equals(Buffer.from(encodeBlob(reference.applyTo(global)).bytes)),
    ).toBe(true);
  });

  it('takes the coordinate-wise median of the kept updates when the study asks for it', async () => {
    const plan = {
      shares: 4,
      minSites: 2,
      screening: null,
      aggregator: 'median',
      trimBeta: 0.2,
      strategy: { name: 'fedavg' },
      secure: false,
    } as const;
    const { aggregator, blobs, uploads } = await setUp(plan);
    const next = await aggregator.aggregate('s', 1, uploads);
    expect([...next.screening.values()].every((v) => v.verdict === 'accepted')).toBe(true); // screening off
    const median = new CoordinateRobustMean(
      global,
      round.map((s) => s.update),
      { kind: 'median' },
    );
    const want = global.map((g, k) => {
      const out = new Float32Array(g.values.length);
      median.applyChunk(k, 0, out, g.values);
      return { ...g, values: out };
    });
    expect((await modelOf(blobs, next.sha256)).equals(Buffer.from(encodeBlob(want).bytes))).toBe(true);
  });

  it('throws QuorumLostToScreening, naming the rejected site, when too few updates are kept', async () => {
    const plan = {
      shares: 4,
      minSites: 4,
      screening,
      aggregator: 'fedavg',
      trimBeta: 0.2,
      strategy: { name: 'fedavg' },
      secure: false,
    } as const;
    const { aggregator, uploads } = await setUp(plan);
    const failure = await aggregator.aggregate('s', 1, uploads).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QuorumLostToScreening);
    expect((failure as Error).message).toMatch(
      /screening kept 3 update\(s\), the study needs 4: site x: cosine/,
    );
  });

  it("refuses on arrival an update beyond its share of the round's range (one site cannot use it up)", async () => {
    const plan = {
      shares: 4,
      minSites: 2,
      screening,
      aggregator: 'fedavg',
      trimBeta: 0.2,
      strategy: { name: 'fedavg' },
      secure: false,
    } as const;
    const { aggregator } = await setUp(plan);
    // conv/bias has scale 1: range 2²⁵, a share 2²³. 2²⁴ samples × 0.5 = 2²³ fits; × 0.75 does not.
    const greedy = (v: number) => [global[0] as WeightTensor, tensor('conv/bias', [v, 0, 0])];
    await expect(aggregator.verify('s', 1, greedy(0.75), 2 ** 24)).rejects.toMatchObject({
      code: 'out_of_range',
      message: expect.stringMatching(/exceeds its share/),
    });
  });
});
