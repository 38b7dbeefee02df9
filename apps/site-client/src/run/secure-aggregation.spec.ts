import { describe, expect, it } from '@jest/globals';
import { SiteEvent, type NamedTensor, type SecureAggregationTask, type TaskPayload } from '@fedaln/protocol';
import { SecAggSite } from '@fedaln/secagg';
import { clipped, SecureRound, SecureSessions } from './secure-aggregation';
import type { SiteSocket } from './site-socket';

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

/** A SecureRound of site 1 of 3; only the session part of the train task matters here. */
function secureRound(extra: Partial<SecureAggregationTask>): SecureRound {
  const task = { kind: 'train', study_id: 's', round: 1 } as TaskPayload;
  return new SecureRound({
    ...task,
    secure_aggregation: {
      site: 1,
      sites: 3,
      threshold: 2,
      round_tag: 's/1/1/x',
      n_train: 10,
      shares: 3,
      clip_norm: 1,
      ...extra,
    },
  });
}

describe('SecureRound', () => {
  it('refuses a task whose prg this client does not know, naming the ones it knows (a coordinator of another version)', () => {
    expect(() => secureRound({ prg: 'chacha20' as 'aes-128-ctr' })).toThrow(
      'prg chacha20 is not one of aes-256-ctr, aes-128-ctr (absent: aes-256-ctr)',
    );
    expect(() => secureRound({ prg: 'aes-128-ctr' })).not.toThrow();
  });

  it('refuses an update that lacks a tensor of the global model, before masking anything', () => {
    const round = secureRound({});
    expect(() => round.maskedInput([t('w', [1]), t('b', [0])], [t('w', [0.1])])).toThrow(
      'the update has no tensor "b" of the global model: check the training',
    );
  });
});

describe('SecureRound on the 32-bit ring', () => {
  it('refuses a task with ring_bits 32 but no total_weight, naming both, before masking anything', () => {
    const round = secureRound({ ring_bits: 32 });
    expect(() => round.maskedInput([t('w', [1])], [t('w', [0.1])])).toThrow(
      "the train task's secure aggregation has ring_bits 32 and total_weight undefined: expected 32 with an integer total ≥ this site's n_train 10",
    );
  });
});

describe('SecureSessions.join', () => {
  /**
   * A coordinator on a fake socket with one real peer (site 2 of 2, `SecAggSite`): it takes the
   * first keys of a session and refuses later ones as the real session does once past its keys
   * (`stepSession`: "event keysAdvertised does not apply to a session in phase …").
   */
  function fakeCoordinator() {
    const handlers = new Map<string, (p: unknown) => void>();
    const emitted: string[] = [];
    const peer = new SecAggSite(2, { roundTag: 's/1/1/x', threshold: 2, sites: 2 });
    const wire = (a: { site: number; cPublic: Buffer; sPublic: Buffer }) => ({
      site: a.site,
      c_public: a.cPublic,
      s_public: a.sPublic,
    });
    let roster: { site: number; cPublic: Buffer; sPublic: Buffer }[] = [];
    const socket = {
      on: (event: string, handler: (p: unknown) => void) => handlers.set(event, handler),
      timeout: () => ({
        emitWithAck: async (
          event: string,
          p: { round_tag: string; c_public?: Uint8Array; s_public?: Uint8Array },
        ) => {
          emitted.push(event);
          const ref = { study_id: 's', round: 1, round_tag: p.round_tag };
          if (event === SiteEvent.secaggKeys) {
            if (emitted.filter((e) => e === event).length > 1)
              return {
                ok: false,
                code: 'wrong_round',
                message:
                  'secure aggregation, round 1: event keysAdvertised does not apply to a session in phase collecting',
              };
            roster = [
              { site: 1, cPublic: Buffer.from(p.c_public!), sPublic: Buffer.from(p.s_public!) },
              peer.advertise(),
            ];
            setImmediate(() => handlers.get(SiteEvent.secaggRoster)?.({ ...ref, roster: roster.map(wire) }));
          } else {
            const mine = peer.shareKeys(roster).filter((m) => m.to === 1);
            setImmediate(() =>
              handlers.get(SiteEvent.secaggDeliver)?.({
                ...ref,
                shares: mine.map((m) => ({ from: m.from, sealed: m.sealed })),
              }),
            );
          }
          return { ok: true };
        },
      }),
    };
    return { socket: socket as unknown as SiteSocket, emitted };
  }

  const task = {
    kind: 'train',
    study_id: 's',
    round: 1,
    secure_aggregation: {
      site: 1,
      sites: 2,
      threshold: 2,
      round_tag: 's/1/1/x',
      n_train: 10,
      shares: 2,
      clip_norm: 1,
    },
  } as TaskPayload & { secure_aggregation: SecureAggregationTask };

  it('a train task run again in the same process (after a lost connection) stays in its session', async () => {
    const { socket, emitted } = fakeCoordinator();
    const sessions = new SecureSessions(socket);
    const first = await sessions.join(task);
    // Before: the second join advertised new keys, which the coordinator refuses past its keys.
    const again = await sessions.join(task);
    expect(again).toBe(first);
    expect(emitted).toEqual([SiteEvent.secaggKeys, SiteEvent.secaggShares]);
    const global = [t('w', [1, 2])];
    expect(again.maskedInput(global, [t('w', [0.1, 0.2])]).bytes).toEqual(
      first.maskedInput(global, [t('w', [0.1, 0.2])]).bytes,
    );
  });

  it('a join that failed is forgotten: the next one starts afresh', async () => {
    const { socket, emitted } = fakeCoordinator();
    const sessions = new SecureSessions(socket);
    await expect(sessions.join(task)).resolves.toBeDefined();
    const other = { ...task, secure_aggregation: { ...task.secure_aggregation, round_tag: 's/1/2/y' } };
    await expect(sessions.join(other)).rejects.toThrow('does not apply to a session in phase collecting');
    await expect(sessions.join(other)).rejects.toThrow('does not apply to a session in phase collecting');
    expect(emitted.filter((e) => e === SiteEvent.secaggKeys)).toHaveLength(3);
  });
});
