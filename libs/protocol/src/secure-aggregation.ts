/**
 * The secure-aggregation rounds on `/site` (issue 16; `@fedaln/secagg`, Bonawitz et al. 2017 Fig. 4),
 * for a train task that carries `secure_aggregation`:
 *
 *   site   `secagg:keys`    its two X25519 public keys                    (acked)
 *   server `secagg:roster`  every site's keys, once all advertised or the key window closed
 *   site   `secagg:shares`  one AES-GCM-sealed Shamir share pair per peer   (acked)
 *   server `secagg:deliver` the sealed shares peers made for this site
 *   site   masked input through `upload:begin/frame/end` (raw ring words, 8 or 4 bytes per weight)
 *   server `secagg:unmask`  which sites survived and which dropped          (the ack carries the shares)
 *
 * Every payload names its study, round and `round_tag` (one session per round attempt); keys and
 * sealed shares are binary (`Uint8Array`), never base64 in JSON.
 */

/** The session of a train task: this site's number and what it masks with. */
export interface SecureAggregationTask {
  /** This site's number in the session, 1…sites (also its Shamir point). */
  site: number;
  /** n: the sites invited to this session (the round's participants). */
  sites: number;
  /** t: survivors the unmasking needs. */
  threshold: number;
  /** Binds keys, shares and masks to this round attempt. */
  round_tag: string;
  /** The FedAvg weight the lead approved for this site: the site masks n·δ on the grid with it and uploads it as `n_train`. */
  n_train: number;
  /** The study's listed sites: each site keeps to 1/shares of the grid's range (StreamingFedAvg `shares`). */
  shares: number;
  /** The L2 norm the site clips its whole update δ to before masking. */
  clip_norm: number;
  /**
   * The ring: absent or 64 — Z/2⁶⁴ on the default grid (gridLayout of the global); 32 — Z/2³² on the
   * clipped grid of `clip_norm` and `total_weight` (gridLayout with clip), 4 bytes per weight.
   */
  ring_bits?: 32 | 64;
  /** With ring_bits 32: W, the sum of the session sites' `n_train` — the clipped grid's weight bound. */
  total_weight?: number;
  /** The PRG of every mask (@fedaln/secagg mask-stream.ts): absent — AES-256-CTR; `aes-128-ctr` — AES-128-CTR. */
  prg?: 'aes-256-ctr' | 'aes-128-ctr';
}

interface SessionRef {
  study_id: string;
  round: number;
  round_tag: string;
}

/** A site's public keys (32 bytes each). */
export interface SecAggKeysPayload extends SessionRef {
  c_public: Uint8Array;
  s_public: Uint8Array;
}

export interface SecAggRosterEntry {
  site: number;
  c_public: Uint8Array;
  s_public: Uint8Array;
}

/** The keys of every site that advertised: the session's roster. */
export interface SecAggRosterPayload extends SessionRef {
  roster: SecAggRosterEntry[];
}

/** One share pair sealed for peer `to` (AES-256-GCM; the coordinator cannot read it). */
export interface SecAggSealedShare {
  to: number;
  sealed: Uint8Array;
}

export interface SecAggSharesPayload extends SessionRef {
  shares: SecAggSealedShare[];
}

/** The sealed shares peers made for this site (`from`: the sender's number). */
export interface SecAggDeliverPayload extends SessionRef {
  shares: { from: number; sealed: Uint8Array }[];
}

/** Unmasking: self-mask shares of the survivors are asked for, s-key shares of the dropped. */
export interface SecAggUnmaskRequest extends SessionRef {
  survivors: number[];
  dropped: number[];
}

/** A Shamir share y (66 bytes, big-endian element of GF(2⁵²¹ − 1)) of site `of`'s secret. */
export interface SecAggHeldShare {
  of: number;
  y: Uint8Array;
}

export interface SecAggUnmaskAccepted {
  self_shares: SecAggHeldShare[];
  key_shares: SecAggHeldShare[];
}

/** Bytes of one ring element of a masked input (little-endian): 8 in Z/2⁶⁴ (the default), 4 in Z/2³². */
export function maskedElementBytes(ringBits: 32 | 64 | undefined): 4 | 8 {
  return ringBits === 32 ? 4 : 8;
}
