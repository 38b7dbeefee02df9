import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { decodeBlob, encodeBlob, type NamedTensor } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  changeOf,
  inMemoryCoordinator,
  seedRound,
  sha256Hex,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import { BlobCache } from '../blobs/blob-cache';
import { FileBlobStore } from '../blobs/blob-store';
import type { Participant, Round, Study } from '../domain/records';
import type { RoundChange } from '../rounds/round-changes';
import { AggregationRunner } from './aggregation-runner';
import { RoundAggregator } from './round-aggregator';

const dir = temporaryDir('aggregation-runner');

const tensor = (values: number[]): NamedTensor[] => [
  { name: 'dense/kernel', shape: [values.length], values: Float32Array.from(values) },
];
/** Version 0, and two sites' deltas with their training-case counts; every value is exact in f32. */
const GLOBAL = [1, 2, 3, 4];
const A = { siteId: 'a', nTrain: 3, delta: [0.5, 0.5, -0.5, 1] };
const B = { siteId: 'b', nTrain: 1, delta: [-0.25, 0.75, 0.5, -1] };
const UPDATES = [A, B];

/** FedAvg (McMahan et al. 2017; DESIGN.md "Rounds"): g + Σ nᵢδᵢ / Σ nᵢ. Here [1.3125, 2.5625, 2.75, 4.5]. */
function fedAvg(global: number[], updates: typeof UPDATES): number[] {
  const total = updates.reduce((s, u) => s + u.nTrain, 0);
  return global.map((g, i) => g + updates.reduce((s, u) => s + u.nTrain * (u.delta[i] as number), 0) / total);
}

describe('AggregationRunner', () => {
  let c: InMemoryCoordinator;
  let blobs: FileBlobStore;
  let aggregator: RoundAggregator;
  let runner: AggregationRunner;
  let study: Study;
  let round: Round;
  /** Resolves with the change that ends the run (aggregationDone or aggregationFailed), as published. */
  let ended: Promise<RoundChange>;

  beforeEach(async () => {
    blobs = new FileBlobStore(fs.mkdtempSync(path.join(dir, 'blobs-')));
    c = inMemoryCoordinator(blobs);
    aggregator = new RoundAggregator(blobs, new BlobCache(blobs), c.models, c.log);
    runner = new AggregationRunner(aggregator, c.service, c.log);
    ({ study, round } = await seedRound(c, { sites: ['a', 'b'], state: 'aggregating' }));
    const v0 = await blobs.put(encodeBlob(tensor(GLOBAL)).bytes);
    await c.models.add({ studyId: study.id, version: 0, roundNumber: null, ...v0 });
    ended = new Promise((resolve) =>
      c.changes.subscribe((change) => {
        if (change.event === 'aggregationDone' || change.event === 'aggregationFailed') resolve(change);
      }),
    );
  });

  /** Stores each site's delta (or, with `lost`, only names it) and records its upload. */
  async function uploads(lost: readonly string[] = []): Promise<Participant[]> {
    for (const u of UPDATES) {
      const blob = encodeBlob(tensor(u.delta));
      if (!lost.includes(u.siteId)) await blobs.put(blob.bytes);
      const update = { nTrain: u.nTrain, sha256: blob.sha256, bytes: blob.bytes.length };
      await c.participants.recordUpload(study.id, round.number, u.siteId, update);
    }
    return c.participants.list(study.id, round.number);
  }

  it('an aggregate effect starts a run that stores the weighted mean and ends in aggregationDone', async () => {
    const uploaded = await uploads();
    runner.onChange(changeOf(study, round, [{ type: 'aggregate' }], { from: 'training', uploads: uploaded }));
    const done = await ended;
    expect(done.round.state).toBe('evaluating');
    const v1 = await c.models.find(study.id, 1);
    expect(v1?.roundNumber).toBe(1);
    const stored = await blobs.localFile(v1?.sha256 as string);
    const weights = decodeBlob(fs.readFileSync(stored as string));
    expect(Array.from(weights[0]?.values ?? [])).toEqual(fedAvg(GLOBAL, UPDATES));
    expect(c.log.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['aggregation started', 'aggregation stored']),
    );
  });

  it('a run that cannot aggregate ends in aggregationFailed with the reason, failing round and study', async () => {
    const uploaded = await uploads(['b']);
    const missing = uploaded.find((p) => p.siteId === 'b')?.updateSha256;
    const recording = jest.spyOn(c.service, 'aggregationFailed');
    runner.onChange(changeOf(study, round, [{ type: 'aggregate' }], { from: 'training', uploads: uploaded }));
    const failed = await ended;
    await recording.mock.results[0]?.value; // the service's follow-up steps: failing the study
    expect(failed.round.state).toBe('failed');
    const reason = failed.effects.find((e) => e.type === 'roundFailed');
    expect(reason).toEqual({
      type: 'roundFailed',
      reason: expect.stringContaining(`site b's update ${missing}`),
    });
    expect(JSON.stringify(reason)).toContain('it is not in the blob store');
    expect((await c.studies.findById(study.id))?.status).toBe('failed');
    expect(await c.models.find(study.id, 1)).toBeNull();
    expect(c.log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['aggregation failed']);
  });

  it("a failed round drops the study's accumulator; other changes keep it", async () => {
    const training = await c.rounds.update(round.id, { state: 'training' });
    const checked = await aggregator.verify(study.id, 1, tensor(A.delta), A.nTrain);
    aggregator.accepted(study.id, 1, { ...A, sha256: sha256Hex('update a') }, checked);
    expect(aggregator.pendingCount(study.id)).toBe(1);
    runner.onChange(changeOf(study, training));
    expect(aggregator.pendingCount(study.id)).toBe(1);
    const failed = { ...training, state: 'failed' as const };
    runner.onChange(
      changeOf(study, failed, [{ type: 'roundFailed', reason: 'aborted' }], { event: 'abort' }),
    );
    expect(aggregator.pendingCount(study.id)).toBe(0);
  });
});
