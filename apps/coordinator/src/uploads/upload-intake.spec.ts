import { beforeEach, describe, expect, it } from '@jest/globals';
import type { UploadBeginPayload } from '@fedaln/protocol';
import {
  EmptyBlobStore,
  inMemoryCoordinator,
  seedRound,
  sha256Hex,
  temporaryDir,
} from '../../../../tests/medium/coordinator-in-memory';
import { RoundAggregator } from '../aggregation/round-aggregator';
import { BlobCache } from '../blobs/blob-cache';
import type { Study } from '../domain/records';
import { UploadIntake } from './upload-intake';

// Replays of a counted update (issue 13): each used to stay in the intake's map forever.
describe('UploadIntake replays of a counted update', () => {
  let c = inMemoryCoordinator();
  let uploads: UploadIntake;
  let study: Study;
  const spoolDir = temporaryDir('upload-intake');

  /** `site`'s replay of the update seedRound counted for it in round `round`. */
  const replay = (site: string, round = 1): UploadBeginPayload => ({
    study_id: study.id,
    round,
    sha256: sha256Hex(`update of ${site}`),
    bytes: 1,
    n_train: 10,
  });

  beforeEach(async () => {
    c = inMemoryCoordinator();
    const blobs = new EmptyBlobStore();
    const aggregator = new RoundAggregator(blobs, new BlobCache(blobs), c.models);
    uploads = new UploadIntake({ ...c, blobs, aggregator, spoolDir });
    ({ study } = await seedRound(c, {
      sites: ['a', 'b'],
      state: 'training',
      participants: { a: 'uploaded', b: 'uploaded' },
    }));
  });

  it('acknowledges a replay without folding it again', async () => {
    const { upload_id } = await uploads.begin('a', replay('a'));
    await expect(uploads.end('a', { upload_id })).resolves.toEqual({ sha256: sha256Hex('update of a') });
  });

  it("holds one replay per site and study: a site's next replay drops its previous one", async () => {
    const first = await uploads.begin('a', replay('a'));
    const second = await uploads.begin('a', replay('a'));
    const other = await uploads.begin('b', replay('b'));
    await expect(uploads.end('a', { upload_id: first.upload_id })).rejects.toMatchObject({
      code: 'TRANSFER_NOT_FOUND',
    });
    await expect(uploads.end('a', { upload_id: second.upload_id })).resolves.toBeDefined();
    await expect(uploads.end('b', { upload_id: other.upload_id })).resolves.toBeDefined();
  });

  it('drops the replays of a round once the study has moved on to the next', async () => {
    const old = await uploads.begin('a', replay('a'));
    await c.studies.update(study.id, { currentRound: 2 });
    await c.rounds.create({
      studyId: study.id,
      number: 2,
      state: 'training',
      attempt: 1,
      deadline: null,
      startedAt: new Date(),
    });
    c.participants.put({
      studyId: study.id,
      roundNumber: 2,
      siteId: 'b',
      state: 'uploaded',
      reason: null,
      nTrain: 10,
      updateSha256: sha256Hex('update of b'),
      updateBytes: 1,
      screening: null,
    });
    await uploads.begin('b', replay('b', 2));
    await expect(uploads.end('a', { upload_id: old.upload_id })).rejects.toMatchObject({
      code: 'TRANSFER_NOT_FOUND',
    });
  });
});
