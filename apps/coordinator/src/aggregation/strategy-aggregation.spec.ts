import { afterEach, describe, expect, it } from '@jest/globals';
import { fedAdamStep, StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import { decodeBlob, encodeBlob } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobCache } from '../blobs/blob-cache';
import { FileBlobStore } from '../blobs/blob-store';
import type { GlobalModel, Participant } from '../domain/records';
import type { ResolvedStrategy } from '../domain/study-spec';
import { GlobalModelRepository } from '../models/global-model.repository';
import { RoundAggregator } from './round-aggregator';
import type { RoundPlan } from './round-plan';

class MemoryModels extends GlobalModelRepository {
  readonly models = new Map<string, GlobalModel>();
  async add(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    const stored = { ...model, createdAt: new Date(0) };
    this.models.set(`${model.studyId}/${model.version}`, stored);
    return stored;
  }
  async find(studyId: string, version: number): Promise<GlobalModel | null> {
    return this.models.get(`${studyId}/${version}`) ?? null;
  }
}

const tensor = (name: string, values: ArrayLike<number>): WeightTensor =>
  Object.freeze({ name, shape: [values.length], values: Float32Array.from(values) });
let s = 11;
const u = (): number => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
const global = [
  tensor('conv/kernel', Array.from({ length: 300 }, u)),
  tensor('bn/gamma', [1, 1, 1]),
  tensor('bn/moving_mean', [0, 0, 0]),
];
const deltaOf = (scale: number) =>
  global.map((t) =>
    tensor(
      t.name,
      Array.from(t.values, () => u() * scale),
    ),
  );
const rounds = [1, 2].map(() => [
  { siteId: 'a', nTrain: 40, update: deltaOf(0.01) },
  { siteId: 'b', nTrain: 60, update: deltaOf(0.01) },
]);
const ADAM = { learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 };
const plan = (strategy: ResolvedStrategy, screened = false): RoundPlan => ({
  shares: 2,
  minSites: 2,
  screening: screened ? { clipFactor: 3, rejectCosine: -1, downWeightCosine: -1 } : null,
  secure: false,
  aggregator: 'fedavg',
  trimBeta: 0.2,
  strategy,
});

/** The FedAvg mean update of a round, as the library folds it (the reference's δ̄). */
function meanDelta(round: (typeof rounds)[number]): WeightTensor[] {
  const fedavg = new StreamingFedAvg(global, { global, thread: 'never' });
  for (const site of round) fedavg.add(site.update, site.nTrain);
  return fedavg.applyTo(global.map((t) => ({ ...t, values: new Float32Array(t.values.length) })));
}

describe('RoundAggregator with a strategy (issue 15)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  async function coordinator(p: RoundPlan, models = new MemoryModels(), dir?: string) {
    const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-strategy-'));
    if (!dir) dirs.push(root);
    const blobs = new FileBlobStore(path.join(root, 'blobs'));
    if (!(await models.find('s', 0))) {
      const base = await blobs.put(encodeBlob(global).bytes);
      await models.add({ studyId: 's', version: 0, roundNumber: null, ...base });
    }
    const aggregator = new RoundAggregator(blobs, new BlobCache(blobs), models, undefined, {
      planOf: async () => p,
    });
    /** Runs round `r` (its uploads stored and accepted) and registers its model version. */
    const run = async (r: number) => {
      const uploads: Participant[] = [];
      for (const site of rounds[r - 1]!) {
        const blob = await blobs.put(encodeBlob(site.update).bytes);
        const checked = await aggregator.verify('s', r, site.update, site.nTrain);
        aggregator.accepted(
          's',
          r,
          { siteId: site.siteId, sha256: blob.sha256, nTrain: site.nTrain },
          checked,
        );
        uploads.push({
          studyId: 's',
          roundNumber: r,
          siteId: site.siteId,
          state: 'uploaded',
          reason: null,
          nTrain: site.nTrain,
          updateSha256: blob.sha256,
          updateBytes: null,
          screening: null,
        });
      }
      await aggregator.foldPending('s');
      const next = await aggregator.aggregate('s', r, uploads);
      await models.add({
        studyId: 's',
        version: r,
        roundNumber: r,
        sha256: next.sha256,
        bytes: next.bytes,
        ...(next.serverStateSha256 ? { serverStateSha256: next.serverStateSha256 } : {}),
      });
      return { next, model: decodeBlob(fs.readFileSync((await blobs.localFile(next.sha256))!)) };
    };
    return { run, models, root };
  }

  it('fedadam: two rounds equal fedAdamStep on the FedAvg mean update, moments carried; a restart re-aggregates bit-identically', async () => {
    const strategy = { name: 'fedadam', adam: ADAM } as const;
    const first = await coordinator(plan(strategy));
    const r1 = await first.run(1);
    let moments = null as null | { m: Float32Array; v: Float32Array }[];
    let expected = global.map((t, k) => {
      const step = fedAdamStep(t.values, meanDelta(rounds[0]!)[k]!.values, null, ADAM);
      return { values: step.global, moments: step.moments };
    });
    r1.model.forEach((t, k) => expect(Array.from(t.values)).toEqual(Array.from(expected[k]!.values)));
    expect(r1.next.serverStateSha256).toMatch(/^[0-9a-f]{64}$/);
    moments = expected.map((e) => e.moments);

    // A coordinator restarted after round 1 (new aggregator, same store and rows) continues from the stored moments.
    const restarted = await coordinator(plan(strategy), first.models, first.root);
    const r2 = await restarted.run(2);
    const mean2 = meanDelta(rounds[1]!);
    expected = r1.model.map((t, k) => {
      const step = fedAdamStep(t.values, mean2[k]!.values, moments![k]!, ADAM);
      return { values: step.global, moments: step.moments };
    });
    r2.model.forEach((t, k) => expect(Array.from(t.values)).toEqual(Array.from(expected[k]!.values)));
    // and it differs from FedAvg's global + δ̄
    expect(r2.model[0]!.values[0]).not.toBeCloseTo(r1.model[0]!.values[0]! + mean2[0]!.values[0]!, 6);

    // Round 2 aggregated again by a fresh aggregator (killed before the transition committed): the same bytes and state.
    const rows = new MemoryModels();
    for (const [key, m] of first.models.models) if (!key.endsWith('/2')) rows.models.set(key, m);
    const again = await (await coordinator(plan(strategy), rows, first.root)).run(2);
    expect(again.next.sha256).toBe(r2.next.sha256);
    expect(again.next.serverStateSha256).toBe(r2.next.serverStateSha256);
  });

  it('fedadam: refuses to go on without the previous version’s state, naming it', async () => {
    const c = await coordinator(plan({ name: 'fedadam', adam: ADAM }));
    const r1 = await c.run(1);
    const row = c.models.models.get('s/1')!;
    c.models.models.set('s/1', { ...row, serverStateSha256: undefined } as GlobalModel);
    void r1;
    await expect(c.run(2)).rejects.toThrow(/model version 1 has no FedAdam server state/);
  });

  it.each([false, true])(
    'fedbn (screened %s): the global’s BatchNorm tensors stay bit-identical whatever the sites send; the rest is FedAvg',
    async (screened) => {
      const { run } = await coordinator(plan({ name: 'fedbn' }, screened));
      const { model, next } = await run(1);
      const mean = meanDelta(rounds[0]!);
      expect(Array.from(model[1]!.values)).toEqual(Array.from(global[1]!.values));
      expect(Array.from(model[2]!.values)).toEqual(Array.from(global[2]!.values));
      const conv = Float32Array.from(global[0]!.values, (g, i) => g + mean[0]!.values[i]!);
      model[0]!.values.forEach((v, i) => expect(v).toBeCloseTo(conv[i]!, 6));
      expect(next.serverStateSha256).toBeUndefined();
    },
  );

  it('fedavg (a study without strategy): BatchNorm tensors move with the mean, as before issue 15', async () => {
    const { model } = await (await coordinator(plan({ name: 'fedavg' }))).run(1);
    expect(Array.from(model[2]!.values)).not.toEqual(Array.from(global[2]!.values));
  });
});
