import { describe, expect, it } from '@jest/globals';
import { TrainProgressDto } from './site-dtos';
import { DomainError } from '../domain/domain-error';
import { toProtocolError } from './socket-error';
import { validatePayload } from './socket-payload';

// Epoch 2 of 3, batch 7 of 20 as the site client sends it (train-progress.ts counts from 1).
const progress = Object.freeze({
  study_id: '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90',
  round: 1,
  epoch: 2,
  epochs: 3,
  batch: 7,
  batches: 20,
  loss: 0.6931, // ln 2: binary cross-entropy of a model still at p = 0.5
  images_per_s: 3.5,
});

/** The pipe's error as the socket exception filter acks it. */
async function refusal(payload: unknown): Promise<{ code: string; message: string }> {
  const e = await validatePayload(TrainProgressDto, payload).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DomainError);
  return toProtocolError(e);
}

describe('TrainProgressDto (train:progress on the socket edge)', () => {
  it('passes valid progress through', async () => {
    expect(await validatePayload(TrainProgressDto, { ...progress })).toMatchObject(progress);
  });

  it.each([
    ['study_id', 'not-a-uuid', /study_id must be a UUID/],
    ['epoch', 0, /epoch must not be less than 1/],
    ['batch', 1.5, /batch must be an integer number/],
    ['loss', Number.NaN, /loss must be a number/],
    ['loss', -0.1, /loss must not be less than 0/],
    ['images_per_s', Number.POSITIVE_INFINITY, /images_per_s must be a number/],
  ])('refuses %s = %p with bad_request naming it', async (field, value, message) => {
    const e = await refusal({ ...progress, [field]: value });
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(message);
  });

  it('refuses a site_id in the payload: the site is the socket, never the payload', async () => {
    expect((await refusal({ ...progress, site_id: 'someone-else' })).message).toContain(
      'property site_id should not exist',
    );
  });
});
