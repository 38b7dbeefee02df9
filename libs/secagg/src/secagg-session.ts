import { DEFAULT_MASK_PRG, type MaskPrg } from './mask-stream';
import { publicKeyOf } from './key-agreement';
import type {
  KeyAdvertisement,
  SealedShares,
  SessionParams,
  UnmaskRequest,
  UnmaskResponse,
} from './messages';
import { SecAggError } from './secagg-error';
import { checkParams } from './session-params';
import { elementToBytes, shamirCombine } from './shamir';

/**
 * The coordinator's side of one secure-aggregation session (Bonawitz et al. 2017, Fig. 4, "Server",
 * semi-honest version: rounds AdvertiseKeys → ShareKeys → MaskedInputCollection → Unmasking), as a
 * pure state machine `(session, event) → {session, effects}` in the manner of rounds/round-machine.ts.
 * It routes keys and sealed shares, records who sent an input and with what weight, and at the end
 * reconstructs from t shares each survivor's self-mask seed and each dropped site's s key — never
 * both for one site: the dropped set U₂∖U₃ and the survivors U₃ are disjoint by construction, and
 * the sites refuse otherwise (secagg-site.ts). The masked vectors never pass through it: the
 * caller folds them into a MaskedSum (masked-sum.ts), which holds only their sum.
 *
 * Any phase ends with `failed` and the reason when fewer than t sites remain, so the round
 * fails cleanly instead of waiting for an unmasking that cannot happen.
 */
export const SESSION_PHASES = [
  'advertising',
  'sharing',
  'collecting',
  'unmasking',
  'completed',
  'failed',
] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

export interface SessionState {
  readonly phase: SessionPhase;
  readonly params: SessionParams;
  /** U₁: sites whose keys arrived (the roster). */
  readonly advertised: readonly KeyAdvertisement[];
  /** U₂ candidates and their sealed shares. */
  readonly sharers: readonly { readonly from: number; readonly shares: readonly SealedShares[] }[];
  /** U₃: sites whose masked input arrived, with their sample counts (public: the mean needs Σn). */
  readonly inputs: readonly { readonly site: number; readonly nSamples: number }[];
  readonly request?: UnmaskRequest;
  readonly responses: readonly UnmaskResponse[];
  readonly failure?: string;
}

/** What the unmasking needs: reconstructed secrets, and the survivors' weights. */
export interface UnmaskPlan {
  readonly roundTag: string;
  /** The session's PRG: the masks are rebuilt with it. */
  readonly prg: MaskPrg;
  readonly survivors: readonly {
    readonly site: number;
    readonly nSamples: number;
    readonly sPublic: Buffer;
  }[];
  /** Each survivor's self-mask seed, 32 bytes. */
  readonly selfSeeds: ReadonlyMap<number, Buffer>;
  /** Each dropped site's s key pair, rebuilt from its shares and checked against its advertised key. */
  readonly droppedKeys: ReadonlyMap<number, { readonly privateKey: Buffer; readonly publicKey: Buffer }>;
  readonly totalWeight: number;
}

export type SessionEvent =
  | { readonly type: 'keysAdvertised'; readonly advertisement: KeyAdvertisement }
  | { readonly type: 'advertiseClosed' }
  | { readonly type: 'sharesSent'; readonly from: number; readonly shares: readonly SealedShares[] }
  | { readonly type: 'sharingClosed' }
  | { readonly type: 'maskedInputReceived'; readonly site: number; readonly nSamples: number }
  | { readonly type: 'inputsClosed' }
  | { readonly type: 'unmaskResponse'; readonly response: UnmaskResponse }
  | { readonly type: 'unmaskClosed' }
  | { readonly type: 'abort'; readonly reason: string };
export type SessionEventType = SessionEvent['type'];

export type SessionEffect =
  | { readonly type: 'broadcastRoster'; readonly roster: readonly KeyAdvertisement[] }
  | { readonly type: 'deliverShares'; readonly to: number; readonly shares: readonly SealedShares[] }
  | { readonly type: 'requestUnmasking'; readonly to: readonly number[]; readonly request: UnmaskRequest }
  | { readonly type: 'unmask'; readonly plan: UnmaskPlan }
  | { readonly type: 'sessionFailed'; readonly reason: string };

export type SessionStep =
  | {
      readonly kind: 'transition';
      readonly session: SessionState;
      readonly effects: readonly SessionEffect[];
    }
  /** The event does not fit the phase, or its message is malformed: the session is unchanged. */
  | { readonly kind: 'rejected'; readonly error: SecAggError };

/** A new session in `advertising`. */
export function openSession(params: SessionParams): SessionState {
  checkParams(params);
  return { phase: 'advertising', params, advertised: [], sharers: [], inputs: [], responses: [] };
}

/** The session after `event`, with the effects to run in order; or the rejection. */
export function stepSession(s: SessionState, event: SessionEvent): SessionStep {
  try {
    return step(s, event);
  } catch (e) {
    if (e instanceof SecAggError) return { kind: 'rejected', error: e };
    throw e;
  }
}

function step(s: SessionState, e: SessionEvent): SessionStep {
  const t = s.params.threshold;
  const fail = (reason: string): SessionStep => ({
    kind: 'transition',
    session: { ...s, phase: 'failed', failure: reason },
    effects: [{ type: 'sessionFailed', reason }],
  });
  const go = (session: SessionState, effects: SessionEffect[] = []): SessionStep => ({
    kind: 'transition',
    session,
    effects,
  });
  if (e.type === 'abort') {
    if (s.phase === 'completed' || s.phase === 'failed') throw wrongPhase(s, e.type);
    return fail(e.reason);
  }
  switch (s.phase) {
    case 'advertising':
      if (e.type === 'keysAdvertised') {
        const a = e.advertisement;
        if (
          !Number.isInteger(a.site) ||
          a.site < 1 ||
          a.site > s.params.sites ||
          s.advertised.some((b) => b.site === a.site)
        ) {
          throw new SecAggError(
            'bad_message',
            `keys from site ${a.site}: outside 1..${s.params.sites} or sent twice`,
          );
        }
        if (a.cPublic.length !== 32 || a.sPublic.length !== 32) {
          throw new SecAggError('bad_message', `site ${a.site}'s public keys are not 32 bytes each`);
        }
        return go({ ...s, advertised: [...s.advertised, a] });
      }
      if (e.type === 'advertiseClosed') {
        if (s.advertised.length < t)
          return fail(`only ${s.advertised.length} sites advertised keys, below the threshold ${t}`);
        return go({ ...s, phase: 'sharing' }, [{ type: 'broadcastRoster', roster: s.advertised }]);
      }
      break;
    case 'sharing':
      if (e.type === 'sharesSent') {
        const roster = s.advertised.map((a) => a.site);
        if (!roster.includes(e.from) || s.sharers.some((x) => x.from === e.from)) {
          throw new SecAggError(
            'bad_message',
            `shares from site ${e.from}: not in the roster, or sent twice`,
          );
        }
        const to = e.shares.map((m) => m.to).sort((a, b) => a - b);
        const expected = roster.filter((v) => v !== e.from).sort((a, b) => a - b);
        if (e.shares.some((m) => m.from !== e.from) || to.join() !== expected.join()) {
          throw new SecAggError(
            'bad_message',
            `site ${e.from} must send one sealed share to each other roster site (${expected.join(', ')}), got ${to.join(', ')}`,
          );
        }
        return go({ ...s, sharers: [...s.sharers, { from: e.from, shares: e.shares }] });
      }
      if (e.type === 'sharingClosed') {
        if (s.sharers.length < t)
          return fail(`only ${s.sharers.length} sites sent their key shares, below the threshold ${t}`);
        const u2 = new Set(s.sharers.map((x) => x.from));
        const effects: SessionEffect[] = [...u2].map((to) => ({
          type: 'deliverShares',
          to,
          shares: s.sharers.flatMap((x) => x.shares.filter((m) => m.to === to && u2.has(m.from))),
        }));
        return go({ ...s, phase: 'collecting' }, effects);
      }
      break;
    case 'collecting':
      if (e.type === 'maskedInputReceived') {
        if (!s.sharers.some((x) => x.from === e.site) || s.inputs.some((x) => x.site === e.site)) {
          throw new SecAggError(
            'bad_message',
            `a masked input from site ${e.site}: it sent no shares, or sent an input twice`,
          );
        }
        if (!Number.isInteger(e.nSamples) || e.nSamples < 1) {
          throw new SecAggError(
            'bad_message',
            `site ${e.site}'s nSamples ${e.nSamples} is not a positive integer`,
          );
        }
        return go({ ...s, inputs: [...s.inputs, { site: e.site, nSamples: e.nSamples }] });
      }
      if (e.type === 'inputsClosed') {
        if (s.inputs.length < t)
          return fail(
            `only ${s.inputs.length} sites sent a masked input, below the threshold ${t}: the masks cannot be removed`,
          );
        const survivors = s.inputs.map((x) => x.site);
        const dropped = s.sharers.map((x) => x.from).filter((v) => !survivors.includes(v));
        const request = { survivors, dropped };
        return go({ ...s, phase: 'unmasking', request }, [
          { type: 'requestUnmasking', to: survivors, request },
        ]);
      }
      break;
    case 'unmasking':
      if (e.type === 'unmaskResponse') {
        const r = e.response;
        const req = s.request as UnmaskRequest;
        if (!req.survivors.includes(r.site) || s.responses.some((x) => x.site === r.site)) {
          throw new SecAggError(
            'bad_message',
            `an unmasking answer from site ${r.site}: not a survivor, or twice`,
          );
        }
        const of = (h: readonly { of: number }[]): string =>
          h
            .map((x) => x.of)
            .sort((a, b) => a - b)
            .join();
        const sorted = (v: readonly number[]): string => [...v].sort((a, b) => a - b).join();
        if (of(r.selfShares) !== sorted(req.survivors) || of(r.keyShares) !== sorted(req.dropped)) {
          throw new SecAggError(
            'bad_message',
            `site ${r.site} answered other shares than asked (self-mask shares of the survivors, s-key shares of the dropped)`,
          );
        }
        return go({ ...s, responses: [...s.responses, r] });
      }
      if (e.type === 'unmaskClosed') {
        if (s.responses.length < t) {
          return fail(
            `only ${s.responses.length} survivors answered the unmasking, below the threshold ${t}: the sum cannot be unmasked`,
          );
        }
        let plan: UnmaskPlan;
        try {
          plan = reconstruct(s);
        } catch (error) {
          // A bad share cannot be told from a good one until the rebuilt key is checked against
          // the advertised one; the round cannot be unmasked either way. (A bad self-mask share is
          // not detectable at all in the semi-honest protocol: it yields a wrong sum.)
          if (error instanceof SecAggError) return fail(error.message);
          throw error;
        }
        return go({ ...s, phase: 'completed' }, [{ type: 'unmask', plan }]);
      }
      break;
    case 'completed':
    case 'failed':
      break;
  }
  throw wrongPhase(s, e.type);
}

function wrongPhase(s: SessionState, type: SessionEventType): SecAggError {
  return new SecAggError('wrong_phase', `event ${type} does not apply to a session in phase ${s.phase}`);
}

function reconstruct(s: SessionState): UnmaskPlan {
  const t = s.params.threshold;
  const req = s.request as UnmaskRequest;
  const sharesOf = (v: number, kind: 'selfShares' | 'keyShares') =>
    s.responses.map((r) => ({ x: r.site, y: (r[kind].find((h) => h.of === v) as { y: bigint }).y }));
  const keysOf = (v: number): KeyAdvertisement => s.advertised.find((a) => a.site === v) as KeyAdvertisement;
  const selfSeeds = new Map(
    req.survivors.map((v) => [v, elementToBytes(shamirCombine(sharesOf(v, 'selfShares'), t), 32)]),
  );
  const droppedKeys = new Map(
    req.dropped.map((v) => {
      const privateKey = elementToBytes(shamirCombine(sharesOf(v, 'keyShares'), t), 32);
      const publicKey = publicKeyOf(privateKey);
      if (!publicKey.equals(keysOf(v).sPublic)) {
        throw new SecAggError(
          'malformed_share',
          `the s key rebuilt for dropped site ${v} does not match the key it advertised: a survivor sent a bad share`,
        );
      }
      return [v, { privateKey, publicKey }];
    }),
  );
  const survivors = s.inputs.map((x) => ({ ...x, sPublic: keysOf(x.site).sPublic }));
  return {
    roundTag: s.params.roundTag,
    prg: s.params.prg ?? DEFAULT_MASK_PRG,
    survivors,
    selfSeeds,
    droppedKeys,
    totalWeight: survivors.reduce((a, x) => a + x.nSamples, 0),
  };
}
