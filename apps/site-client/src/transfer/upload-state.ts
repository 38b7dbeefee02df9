/**
 * What a site keeps on disk about an update it has not finished uploading, beside the encoded blob,
 * so a restarted client resumes the upload instead of training again (DESIGN.md "Wire format": an
 * interrupted upload resumes from the last acknowledged frame).
 */
export interface UploadState {
  study_id: string;
  round: number;
  /** Global model version the update was trained from. */
  model_version: number;
  sha256: string;
  bytes: number;
  n_train: number;
  /** First frame not yet acknowledged contiguously by the coordinator (its `upload:begin` answer wins). */
  next_frame: number;
  frames: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses a saved state; a malformed or foreign file gives an error naming the file and the field
 * (the caller then trains again instead of trusting it).
 *
 * @example
 * parseUploadState('{"study_id":"s","round":1,…}', 'work/uploads/s-r1.json');
 */
export function parseUploadState(text: string, file: string): UploadState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) throw new Error(`${file} is not an upload state object`);
  const v = value as Record<string, unknown>;
  const nonNegInt = (k: string): number => {
    const x = v[k];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
      throw new Error(`${file}: ${k} is ${JSON.stringify(x)}; expected an integer ≥ 0`);
    }
    return x;
  };
  if (typeof v.study_id !== 'string' || v.study_id === '') throw new Error(`${file}: study_id is missing`);
  if (typeof v.sha256 !== 'string' || !HEX64.test(v.sha256)) {
    throw new Error(`${file}: sha256 is ${JSON.stringify(v.sha256)}; expected 64 hex digits`);
  }
  const state: UploadState = {
    study_id: v.study_id,
    round: nonNegInt('round'),
    model_version: nonNegInt('model_version'),
    sha256: v.sha256,
    bytes: nonNegInt('bytes'),
    n_train: nonNegInt('n_train'),
    next_frame: nonNegInt('next_frame'),
    frames: nonNegInt('frames'),
  };
  if (state.next_frame > state.frames) {
    throw new Error(`${file}: next_frame ${state.next_frame} is beyond frames ${state.frames}`);
  }
  return state;
}

/**
 * True when a saved upload is the answer to this train task: same study, round and global model
 * version. A task for another round or version means the saved update is stale.
 *
 * @example resumable(state, { study_id: 's', round: 2, model_version: 1 }) // true if state matches
 */
export function resumable(
  state: UploadState,
  task: { study_id: string; round: number; model_version: number },
): boolean {
  return (
    state.study_id === task.study_id &&
    state.round === task.round &&
    state.model_version === task.model_version
  );
}

/**
 * The state after frames up to `nextFrame` were acknowledged; never moves backwards (acks of a
 * resumed session can only extend the acknowledged prefix).
 *
 * @example advance({ ...state, next_frame: 3 }, 5).next_frame // 5
 */
export function advance(state: UploadState, nextFrame: number): UploadState {
  return { ...state, next_frame: Math.min(state.frames, Math.max(state.next_frame, nextFrame)) };
}
