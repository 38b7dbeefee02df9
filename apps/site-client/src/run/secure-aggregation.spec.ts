import { describe, expect, it } from '@jest/globals';
import type { NamedTensor, TaskPayload } from '@fedaln/protocol';
import { clipped, SecureRound } from './secure-aggregation';

const t = (name: string, values: number[]): NamedTensor => ({
  name,
  shape: [values.length],
  values: Float32Array.from(values),
});

describe('clipped (the site bounds its update before masking)', () => {
  it('scales δ to just inside clip_norm: (3, 4) has norm 5, clipped to 1 it is (0.6, 0.8) to 1e-5 (the 1e-6 margin)', () => {
    const { tensors, norm } = clipped([t('w', [3]), t('b', [4])], 1);
    expect(norm).toBe(5);
    expect(tensors[0]?.values[0]).toBeCloseTo(0.6, 5);
    expect(tensors[1]?.values[0]).toBeCloseTo(0.8, 5);
    const after = Math.hypot(tensors[0]?.values[0] as number, tensors[1]?.values[0] as number);
    expect(after).toBeLessThanOrEqual(1);
  });

  it('leaves an update within the bound as it is', () => {
    const delta = [t('w', [0.3, -0.4])];
    expect(clipped(delta, 1).tensors[0]).toBe(delta[0]);
  });

  it('refuses a non-finite value, naming the tensor and index', () => {
    expect(() => clipped([t('w', [0, Number.NaN])], 1)).toThrow(
      'update "w" value NaN at index 1 is not finite: check the training',
    );
  });
});

describe('SecureRound', () => {
  it('refuses an update that lacks a tensor of the global model, before masking anything', () => {
    // Only the session part of the train task matters here.
    const task = { kind: 'train', study_id: 's', round: 1 } as TaskPayload;
    const round = new SecureRound({
      ...task,
      secure_aggregation: {
        site: 1,
        sites: 3,
        threshold: 2,
        round_tag: 's/1/1/x',
        n_train: 10,
        shares: 3,
        clip_norm: 1,
      },
    });
    expect(() => round.maskedInput([t('w', [1]), t('b', [0])], [t('w', [0.1])])).toThrow(
      'the update has no tensor "b" of the global model: check the training',
    );
  });
});
