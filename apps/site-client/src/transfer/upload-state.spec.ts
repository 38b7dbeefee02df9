import { describe, expect, it } from '@jest/globals';
import { advance, parseUploadState, resumable, type UploadState } from './upload-state';

const state: UploadState = {
  study_id: 'study-1',
  round: 2,
  model_version: 1,
  sha256: 'ab'.repeat(32),
  bytes: 3_500_000,
  n_train: 32,
  next_frame: 1,
  frames: 4,
};

describe('upload state', () => {
  it('round-trips through JSON', () => {
    expect(parseUploadState(JSON.stringify(state), 'f.json')).toEqual(state);
  });

  it.each([
    ['not json', 'f.json is not JSON'],
    [JSON.stringify({ ...state, sha256: 'xyz' }), 'f.json: sha256 is "xyz"; expected 64 hex digits'],
    [JSON.stringify({ ...state, round: -1 }), 'f.json: round is -1; expected an integer ≥ 0'],
    [JSON.stringify({ ...state, study_id: '' }), 'f.json: study_id is missing'],
    [JSON.stringify({ ...state, next_frame: 5 }), 'next_frame 5 is beyond frames 4'],
  ])('refuses %s', (text, message) => {
    expect(() => parseUploadState(text, 'f.json')).toThrow(message);
  });

  it('resumes only for the same study, round and global version', () => {
    expect(resumable(state, { study_id: 'study-1', round: 2, model_version: 1 })).toBe(true);
    expect(resumable(state, { study_id: 'study-1', round: 3, model_version: 2 })).toBe(false);
    expect(resumable(state, { study_id: 'study-1', round: 2, model_version: 2 })).toBe(false);
    expect(resumable(state, { study_id: 'study-2', round: 2, model_version: 1 })).toBe(false);
  });

  it('advances the acknowledged prefix, never backwards nor past the end', () => {
    expect(advance(state, 3).next_frame).toBe(3);
    expect(advance({ ...state, next_frame: 3 }, 2).next_frame).toBe(3);
    expect(advance(state, 9).next_frame).toBe(4);
  });
});
