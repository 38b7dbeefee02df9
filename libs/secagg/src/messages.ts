import type { MaskPrg } from './mask-stream';

/**
 * The messages of one secure-aggregation session (Bonawitz et al. 2017, "Practical Secure
 * Aggregation for Privacy-Preserving Machine Learning", CCS, Fig. 4 — the semi-honest protocol),
 * as plain data both sides share. Sites are numbered 1…n: the number is also a site's Shamir point.
 */
export interface SessionParams {
  /** Binds keys, shares and masks to one round: a fresh tag per round, never reused. */
  readonly roundTag: string;
  /** Shamir threshold t: unmasking needs t survivors; t > n/2 (see `checkParams`). */
  readonly threshold: number;
  /** n: sites invited to the session. */
  readonly sites: number;
  /** The PRG every mask of the session is expanded with (mask-stream.ts); absent: AES-256-CTR. */
  readonly prg?: MaskPrg;
}

/** Round 0 (AdvertiseKeys): a site's two public keys, 32 bytes each. */
export interface KeyAdvertisement {
  readonly site: number;
  readonly cPublic: Buffer;
  readonly sPublic: Buffer;
}

/** Round 1 (ShareKeys): shares of the sender's self-mask seed and s key for one peer, sealed for that peer. */
export interface SealedShares {
  readonly from: number;
  readonly to: number;
  readonly sealed: Buffer;
}

/** Round 3 (Unmasking): which sites' inputs are summed, and which sent shares but no input. */
export interface UnmaskRequest {
  readonly survivors: readonly number[];
  readonly dropped: readonly number[];
}

/** A Shamir share of the secret of site `of`, held by the responding site. */
export interface HeldShare {
  readonly of: number;
  readonly y: bigint;
}

/** A survivor's answer: self-mask seed shares of the survivors, s-key shares of the dropped. */
export interface UnmaskResponse {
  readonly site: number;
  readonly selfShares: readonly HeldShare[];
  readonly keyShares: readonly HeldShare[];
}
