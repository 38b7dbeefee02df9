import type { WeightTensor } from '@fedaln/aggregation';
import {
  gridLayout,
  MaskedSum,
  openSession,
  stepSession,
  type GridLayout,
  type SessionEffect,
  type SessionEvent,
  type SessionPhase,
  type SessionState,
  type MaskPrg,
} from '@fedaln/secagg';
import { maskedElementBytes } from '@fedaln/protocol';
import { DomainError } from '../domain/domain-error';

/** One site of a session: its id, and the FedAvg weight the lead approved for it (masked as n·δ). */
export interface MaskedSite {
  readonly siteId: string;
  readonly nTrain: number;
}

export interface MaskedRoundParams {
  readonly studyId: string;
  readonly round: number;
  /** Fresh per round attempt: keys, shares and masks of one attempt mean nothing in another. */
  readonly roundTag: string;
  readonly threshold: number;
  /** The round's participants, numbered 1…n in this order (the number is the site's Shamir point). */
  readonly sites: readonly MaskedSite[];
  /** The study's listed sites: each keeps to 1/shares of the grid's range (StreamingFedAvg `shares`). */
  readonly shares: number;
  /** The model the round trains from: its layout, and the grid scale of each tensor. */
  readonly global: readonly WeightTensor[];
  /** The L2 norm each site clips its update δ to (study `secure_aggregation.clip_norm`). */
  readonly clipNorm: number;
  /** The ring (study `secure_aggregation.ring_bits`, default 64). */
  readonly ringBits: 32 | 64;
  /** The masks' PRG (study `secure_aggregation.prg`, default aes-256-ctr). */
  readonly prg?: MaskPrg;
}

/**
 * One secure-aggregation session of one round attempt, as the coordinator holds it: the library's
 * pure machine (`stepSession` of @fedaln/secagg), the site numbers, and the running sum of masked
 * inputs (`MaskedSum`, 8 or 4 bytes per weight whatever the number of sites). A rejected event is a
 * `DomainError` naming what was wrong; the session is then unchanged. It never holds an input apart
 * from the sum, and its machine never asks for both secrets of one site.
 *
 * @example
 * const r = new MaskedRound({ studyId, round: 1, roundTag, threshold: 4, sites, shares: 5, global });
 * r.step({ type: 'keysAdvertised', advertisement }); // → effects to run (roster, deliveries, …)
 */
export class MaskedRound {
  readonly layout: GridLayout;
  readonly sum: MaskedSum;
  private session: SessionState;
  private readonly numbers: ReadonlyMap<string, number>;

  constructor(readonly params: MaskedRoundParams) {
    this.numbers = new Map(params.sites.map((s, i) => [s.siteId, i + 1]));
    this.session = openSession({
      roundTag: params.roundTag,
      threshold: params.threshold,
      sites: params.sites.length,
      ...(params.prg === undefined ? {} : { prg: params.prg }),
    });
    this.layout =
      params.ringBits === 32
        ? gridLayout(params.global, params.shares, {
            norm: params.clipNorm,
            totalWeight: this.totalWeight,
          })
        : gridLayout(params.global, params.shares);
    this.sum = new MaskedSum(this.layout);
  }

  get clipNorm(): number {
    return this.params.clipNorm;
  }

  /** W: the session sites' approved weights summed (the clipped grid's weight bound). */
  get totalWeight(): number {
    return this.params.sites.reduce((a, s) => a + s.nTrain, 0);
  }

  /** Bytes of one ring element: 8 (Z/2⁶⁴) or 4 (Z/2³²), `maskedElementBytes`. */
  get elementBytes(): 4 | 8 {
    return maskedElementBytes(this.params.ringBits);
  }

  get phase(): SessionPhase {
    return this.session.phase;
  }

  get failure(): string | undefined {
    return this.session.failure;
  }

  get state(): SessionState {
    return this.session;
  }

  /** Bytes of a masked input: 8 or 4 per weight (`elementBytes`). */
  get inputBytes(): number {
    return this.sum.length * this.elementBytes;
  }

  /** The site's number in this session, or FORBIDDEN when it is not one of the round's participants. */
  numberOf(siteId: string): number {
    const n = this.numbers.get(siteId);
    if (n === undefined) {
      throw new DomainError(
        'FORBIDDEN',
        `site ${siteId} is not in the secure-aggregation session of round ${this.params.round} of study ${this.params.studyId}`,
      );
    }
    return n;
  }

  siteOf(number: number): MaskedSite {
    const site = this.params.sites[number - 1];
    if (!site) throw new Error(`no site number ${number} in this session`);
    return site;
  }

  /** Steps the machine; a rejected event throws INVALID_INPUT with the library's reason. */
  step(event: SessionEvent): readonly SessionEffect[] {
    const next = stepSession(this.session, event);
    if (next.kind === 'rejected') {
      throw new DomainError(
        next.error.code === 'wrong_phase' ? 'ROUND_NOT_CURRENT' : 'INVALID_INPUT',
        `secure aggregation, round ${this.params.round}: ${next.error.message}`,
      );
    }
    this.session = next.session;
    return next.effects;
  }
}
