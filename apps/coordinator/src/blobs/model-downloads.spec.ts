import { beforeAll, describe, expect, it } from '@jest/globals';
import { FRAME_BYTES } from '@fedaln/protocol';
import { randomBytes } from 'node:crypto';
import {
  inMemoryCoordinator,
  seedRound,
  sha256Hex,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { Study } from '../domain/records';
import { BlobCache } from './blob-cache';
import { FileBlobStore } from './blob-store';
import { ModelDownloads } from './model-downloads';

const dir = temporaryDir('model-downloads');

/** Two and a half frames: two full 1 MiB frames and a half one (protocol frames.ts). */
const V1_BYTES = 2.5 * FRAME_BYTES;

describe('ModelDownloads', () => {
  let c: InMemoryCoordinator;
  let downloads: ModelDownloads;
  let study: Study;
  const weights = new Map<number, Buffer>();

  beforeAll(async () => {
    const blobs = new FileBlobStore(dir);
    c = inMemoryCoordinator(blobs);
    downloads = new ModelDownloads(c.studies, c.rounds, c.models, new BlobCache(blobs));
    // Round 2 trains from version 1 and evaluates version 2; version 0 belongs to round 1.
    ({ study } = await seedRound(c, { sites: ['a', 'b'], state: 'training', number: 2 }));
    for (const [version, bytes] of [
      [0, 10],
      [1, V1_BYTES],
      [2, 100],
    ] as const) {
      const data = randomBytes(bytes);
      weights.set(version, data);
      await c.models.add({ studyId: study.id, version, roundNumber: version, ...(await blobs.put(data)) });
    }
  });

  const sha = (version: number) => sha256Hex(weights.get(version) as Buffer);
  const begin = (siteId: string, version: number, round = 2) =>
    downloads.begin(siteId, { study_id: study.id, round, model_sha256: sha(version) });

  it('serves a model of the current round frame by frame, the last frame the remainder', async () => {
    const d = await begin('a', 1);
    // frames = ⌈bytes / FRAME_BYTES⌉ (frames.ts frameCount)
    expect(d).toMatchObject({ bytes: V1_BYTES, frames: 3, frame_bytes: FRAME_BYTES });
    const frames = [0, 1, 2].map((index) => downloads.frame('a', { download_id: d.download_id, index }));
    expect(frames.map((f) => [f.index, f.data.length])).toEqual([
      [0, FRAME_BYTES],
      [1, FRAME_BYTES],
      [2, FRAME_BYTES / 2],
    ]);
    expect(sha256Hex(Buffer.concat(frames.map((f) => f.data)))).toBe(sha(1));
  });

  it('serves the model the round evaluates too (version r)', async () => {
    const d = await begin('a', 2);
    expect(d.frames).toBe(1);
    expect(Buffer.from(downloads.frame('a', { download_id: d.download_id, index: 0 }).data)).toEqual(
      weights.get(2),
    );
  });

  it('refuses a frame index past the last frame', async () => {
    const d = await begin('a', 1);
    expect(() => downloads.frame('a', { download_id: d.download_id, index: d.frames })).toThrow(
      expect.objectContaining({ code: 'TRANSFER_BAD_FRAME' }),
    );
  });

  it("refuses another site's download id as unknown", async () => {
    const d = await begin('a', 1);
    expect(() => downloads.frame('b', { download_id: d.download_id, index: 0 })).toThrow(
      expect.objectContaining({ code: 'TRANSFER_NOT_FOUND' }),
    );
    expect(downloads.frame('a', { download_id: d.download_id, index: 0 }).index).toBe(0); // still a's
  });

  it("a site's new download replaces its open one; forget drops it", async () => {
    const first = await begin('b', 1);
    const second = await begin('b', 2);
    expect(() => downloads.frame('b', { download_id: first.download_id, index: 0 })).toThrow(
      expect.objectContaining({ code: 'TRANSFER_NOT_FOUND' }),
    );
    downloads.forget('b');
    expect(() => downloads.frame('b', { download_id: second.download_id, index: 0 })).toThrow(
      expect.objectContaining({ code: 'TRANSFER_NOT_FOUND' }),
    );
  });

  it.each([
    ['a model of an earlier round', 'a', 0, 2, 'MODEL_NOT_FOUND'],
    ['a round that is not current', 'a', 1, 1, 'ROUND_NOT_CURRENT'],
    ['a site outside the study', 'c', 1, 2, 'FORBIDDEN'],
  ])('refuses %s', async (_what, siteId, version, round, code) => {
    await expect(begin(siteId, version, round)).rejects.toMatchObject({ code });
  });
});
