import { randomBytes } from 'node:crypto';
import { readTensor, type UpdateTensor } from '@fedaln/aggregation';
import { agreedKey, newKeyPair, open, seal, type RawKeyPair } from './key-agreement';
import { maskRange } from './mask-stream';
import type {
  KeyAdvertisement,
  SealedShares,
  SessionParams,
  UnmaskRequest,
  UnmaskResponse,
} from './messages';
import { RingKernel } from './ring-kernel';
import { SecAggError } from './secagg-error';
import { checkParams } from './session-params';
import { bytesToElement, elementToBytes, P521_BYTES, shamirSplit } from './shamir';
import {
  checkGridInput,
  gridTerms,
  layoutRingBits,
  tensorOffsets,
  tensorSizes,
  type GridLayout,
} from './grid-input';
import { ringWords } from './ring';

/** Ring elements per masked chunk: 64 Ki elements, 512 KiB, whatever the model's size. */
export const MASK_CHUNK = 1 << 16;

/**
 * One chunk of a masked input: ring elements [from, from + words.length / ringWords(bits)) of the
 * concatenated vector (2 words per element in Z/2⁶⁴, 1 in Z/2³²).
 */
export interface MaskedChunk {
  readonly from: number;
  readonly words: Uint32Array;
}

interface PeerShares {
  readonly selfShare: bigint;
  readonly keyShare: bigint;
}

/**
 * A site's side of one session (Bonawitz et al. 2017, Fig. 4, "User"): it keeps its keys, the
 * shares it holds of its peers' secrets, and what it has revealed, so it can refuse a request that
 * would give the coordinator both the self-mask seed and the s key of one peer — with both, the
 * coordinator could strip every mask off that peer's input.
 *
 * Masked input yᵤ = rᵤ + PRG(bᵤ) + Σ_{v∈U₂, u<v} PRG(sᵤᵥ) − Σ_{v∈U₂, u>v} PRG(sᵤᵥ)  (mod 2ᵏ, k the layout's ring),
 * rᵤ the grid integers of its update (grid-input.ts), bᵤ its self-mask seed, sᵤᵥ the pairwise
 * seed agreed with v (key-agreement.ts), U₂ the sites whose shares reached it. In Σᵤ yᵤ every
 * pairwise mask appears once with + and once with −.
 *
 * @example
 * const site = new SecAggSite(3, params);
 * coordinator.advertise(site.advertise());
 * const sealed = site.shareKeys(roster);            // to the coordinator, which relays them
 * site.receiveShares(sealedForMe);
 * for (const chunk of site.maskedInput(layout, update, 120)) upload(chunk);
 * site.unmask(request);                              // throws rather than reveal both secrets of a peer
 */
export class SecAggSite {
  private readonly c: RawKeyPair = newKeyPair();
  private readonly s: RawKeyPair = newKeyPair();
  private readonly selfSeed = randomBytes(32);
  private roster: ReadonlyMap<number, KeyAdvertisement> | undefined;
  private readonly held = new Map<number, PeerShares>();
  private readonly revealed = new Map<number, 'self' | 'key'>();

  constructor(
    readonly site: number,
    private readonly params: SessionParams,
  ) {
    checkParams(params);
    if (!Number.isInteger(site) || site < 1 || site > params.sites) {
      throw new SecAggError('bad_parameters', `site number ${site} is not an integer in 1..${params.sites}`);
    }
  }

  /** Round 0: the public keys to broadcast. */
  advertise(): KeyAdvertisement {
    return { site: this.site, cPublic: this.c.publicKey, sPublic: this.s.publicKey };
  }

  /**
   * Round 1: Shamir-shares the self-mask seed and the s private key (threshold t, one point per
   * roster site) and seals each peer's pair for it (AES-GCM under the c-key agreement), so the
   * coordinator relays shares it cannot read. Keeps its own pair.
   */
  shareKeys(roster: readonly KeyAdvertisement[]): SealedShares[] {
    const byId = new Map<number, KeyAdvertisement>();
    for (const a of roster) {
      if (!Number.isInteger(a.site) || a.site < 1 || a.site > this.params.sites || byId.has(a.site)) {
        throw new SecAggError(
          'bad_roster',
          `the roster lists site ${a.site} twice or outside 1..${this.params.sites}`,
        );
      }
      if (a.cPublic.length !== 32 || a.sPublic.length !== 32) {
        throw new SecAggError('bad_roster', `site ${a.site}'s public keys are not 32 bytes each`);
      }
      byId.set(a.site, a);
    }
    const me = byId.get(this.site);
    if (me === undefined || !me.cPublic.equals(this.c.publicKey) || !me.sPublic.equals(this.s.publicKey)) {
      throw new SecAggError('bad_roster', `the roster does not carry site ${this.site}'s own keys`);
    }
    if (byId.size < this.params.threshold) {
      throw new SecAggError(
        'too_few_survivors',
        `a roster of ${byId.size} sites, below the threshold ${this.params.threshold}`,
      );
    }
    this.roster = byId;
    const xs = [...byId.keys()];
    const selfShares = shamirSplit(bytesToElement(this.selfSeed), this.params.threshold, xs);
    const keyShares = shamirSplit(bytesToElement(this.s.privateKey), this.params.threshold, xs);
    const out: SealedShares[] = [];
    xs.forEach((to, i) => {
      const selfShare = (selfShares[i] as { y: bigint }).y;
      const keyShare = (keyShares[i] as { y: bigint }).y;
      if (to === this.site) {
        this.held.set(to, { selfShare, keyShare });
        return;
      }
      const key = agreedKey(
        this.c,
        (byId.get(to) as KeyAdvertisement).cPublic,
        this.params.roundTag,
        'share',
      );
      const plain = Buffer.concat([
        elementToBytes(selfShare, P521_BYTES),
        elementToBytes(keyShare, P521_BYTES),
      ]);
      out.push({ from: this.site, to, sealed: seal(key, this.aad(this.site, to), plain) });
    });
    return out;
  }

  /** Round 1, delivery: the shares peers sealed for this site; their senders form U₂ with it. */
  receiveShares(sealed: readonly SealedShares[]): void {
    const roster = this.needRoster();
    for (const m of sealed) {
      const from = roster.get(m.from);
      if (m.to !== this.site || from === undefined || m.from === this.site || this.held.has(m.from)) {
        throw new SecAggError(
          'bad_message',
          `shares from site ${m.from} to ${m.to}: not for site ${this.site}, not from the roster, or twice`,
        );
      }
      const key = agreedKey(this.c, from.cPublic, this.params.roundTag, 'share');
      const plain = open(key, this.aad(m.from, this.site), m.sealed);
      if (plain.length !== 2 * P521_BYTES)
        throw new SecAggError(
          'bad_message',
          `shares from site ${m.from} are ${plain.length} bytes, expected ${2 * P521_BYTES}`,
        );
      this.held.set(m.from, {
        selfShare: bytesToElement(plain.subarray(0, P521_BYTES)),
        keyShare: bytesToElement(plain.subarray(P521_BYTES)),
      });
    }
  }

  /**
   * Round 2: the masked input, chunk by chunk (memory O(chunk) beyond the update itself): checks the
   * update first (grid-input.ts: the coordinator can no longer), then yields yᵤ for each chunk.
   */
  *maskedInput(
    layout: GridLayout,
    update: readonly UpdateTensor[],
    nSamples: number,
    chunk = MASK_CHUNK,
  ): Generator<MaskedChunk> {
    checkGridInput(layout, update, nSamples);
    const peers = [...this.held.keys()].filter((v) => v !== this.site);
    if (peers.length + 1 < this.params.threshold) {
      throw new SecAggError(
        'too_few_survivors',
        `shares reached site ${this.site} from ${peers.length} peers; with it, below the threshold ${this.params.threshold}`,
      );
    }
    const roster = this.needRoster();
    const pairwise = peers.map((v) => ({
      sign: this.site < v ? 1 : -1,
      seed: agreedKey(this.s, (roster.get(v) as KeyAdvertisement).sPublic, this.params.roundTag, 'mask'),
    }));
    const sizes = tensorSizes(layout);
    const offsets = tensorOffsets(layout);
    const values = new Float32Array(chunk);
    const bits = layoutRingBits(layout);
    const words = ringWords(bits);
    const bytes = (4 * words) as 4 | 8;
    const ring = new RingKernel(chunk, chunk, bits);
    for (let k = 0; k < sizes.length; k++) {
      const scale = layout.scales[k] as number;
      for (let at = 0; at < (sizes[k] as number); at += chunk) {
        const count = Math.min(chunk, (sizes[k] as number) - at);
        const from = (offsets[k] as number) + at;
        const v = values.subarray(0, count);
        readTensor(update[k] as UpdateTensor, at, v);
        gridTerms(v, nSamples, scale, ring.acc, bits);
        const m = ring.stage.subarray(0, words * count);
        maskRange(this.selfSeed, from, m, bytes, this.params.prg);
        ring.add(0, count);
        for (const p of pairwise) {
          maskRange(p.seed, from, m, bytes, this.params.prg);
          if (p.sign > 0) ring.add(0, count);
          else ring.sub(0, count);
        }
        yield { from, words: ring.acc.slice(0, words * count) };
      }
    }
  }

  /**
   * Round 3: the shares the coordinator asks for — self-mask seed shares of the survivors, s-key
   * shares of the dropped. Refuses (SecAggError 'both_secrets_requested') a request that names a
   * peer in both lists or asks for the other secret of a peer already answered for, and
   * ('too_few_survivors') one with fewer than t survivors; nothing is revealed when it refuses.
   */
  unmask(request: UnmaskRequest): UnmaskResponse {
    const survivors = new Set(request.survivors);
    const dropped = new Set(request.dropped);
    for (const v of survivors) {
      if (dropped.has(v))
        throw new SecAggError(
          'both_secrets_requested',
          `site ${v} is named both a survivor and dropped: refusing to reveal both its secrets`,
        );
      if (this.revealed.get(v) === 'key')
        throw new SecAggError(
          'both_secrets_requested',
          `site ${v}'s s-key share was already revealed (it was dropped); refusing its self-mask share`,
        );
    }
    for (const v of dropped) {
      if (this.revealed.get(v) === 'self')
        throw new SecAggError(
          'both_secrets_requested',
          `site ${v}'s self-mask share was already revealed (it survived); refusing its s-key share`,
        );
    }
    if (survivors.size < this.params.threshold) {
      throw new SecAggError(
        'too_few_survivors',
        `${survivors.size} survivors, below the threshold ${this.params.threshold}: the round cannot be unmasked`,
      );
    }
    if (!survivors.has(this.site))
      throw new SecAggError(
        'bad_message',
        `site ${this.site} is asked to answer but is not among the survivors`,
      );
    for (const v of [...survivors, ...dropped]) {
      if (!this.held.has(v))
        throw new SecAggError(
          'bad_message',
          `site ${v} sent no shares to site ${this.site}: it cannot be in this round's sum or dropped set`,
        );
    }
    survivors.forEach((v) => this.revealed.set(v, 'self'));
    dropped.forEach((v) => this.revealed.set(v, 'key'));
    return {
      site: this.site,
      selfShares: [...survivors].map((v) => ({ of: v, y: (this.held.get(v) as PeerShares).selfShare })),
      keyShares: [...dropped].map((v) => ({ of: v, y: (this.held.get(v) as PeerShares).keyShare })),
    };
  }

  private aad(from: number, to: number): string {
    return `fedaln-secagg ${this.params.roundTag} ${from}->${to}`;
  }

  private needRoster(): ReadonlyMap<number, KeyAdvertisement> {
    if (this.roster === undefined)
      throw new SecAggError('wrong_phase', `site ${this.site} has not received the roster (shareKeys) yet`);
    return this.roster;
  }
}
