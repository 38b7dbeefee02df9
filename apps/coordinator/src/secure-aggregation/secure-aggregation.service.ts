import { gridStep, type WeightTensor } from '@fedaln/aggregation';
import {
  f32BlobChunks,
  type SecAggKeysPayload,
  type SecAggSharesPayload,
  type SecureAggregationTask,
} from '@fedaln/protocol';
import { bytesToElement, gridMean, type MaskPrg, type SessionEffect, type UnmaskPlan } from '@fedaln/secagg';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { AggregatedRound } from '../aggregation/round-aggregator';
import type { BlobCache } from '../blobs/blob-cache';
import type { BlobStore } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import type { Round, Study } from '../domain/records';
import { robustnessOf, type SecureAggregationSpec } from '../domain/study-spec';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { decodeUpdate } from '../aggregation/update-decoder';
import { effectOf, type RoundChange } from '../rounds/round-changes';
import type { SitePresence } from '../rounds/site-presence';
import type { SiteRepository } from '../sites/site.repository';
import { MaskedRound, type MaskedSite } from './masked-round';
import type { SecAggChannel } from './secagg-channel';
import { SecureSessionLost } from './secure-session-lost';
import { unmaskedNormProblem } from './unmasked-bound';

export interface SecureAggregationLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SecureAggregationOptions {
  /** How long keys, then shares, are awaited from the sites that have not sent theirs. */
  readonly windowMs: number;
}

/** Bytes read per step when a masked input is folded from the blob store (64 Ki ring elements). */
const FOLD_CHUNK_BYTES = 8 << 16;

/**
 * Secure aggregation of the rounds of studies with `secure_aggregation` (issue 16; README "Secure
 * aggregation"): one session per round attempt (`MaskedRound`, on the library's pure machine),
 * opened when the round's training tasks go out. It relays keys and sealed shares between the
 * sites, folds each masked input (8 bytes per weight, uploaded through `upload:*` into the blob
 * store) into the session's sum chunk by chunk from the stored file, and at aggregation asks the
 * survivors for the shares that remove the masks — self-mask seed shares of the survivors, s-key
 * shares of the sites that dropped after sharing — so it never holds both secrets of one site.
 * The unmasked sum is StreamingFedAvg's grid sum, so the new global is plain FedAvg's bit for bit;
 * it is taken only if ‖Σ nᵢδᵢ‖ ≤ clip_norm · Σ nᵢ (every site clipped). Fewer than t survivors, or a
 * sum past the bound, fails the aggregation with the reason.
 *
 * @example
 * changes.subscribe((c) => secure.onChange(c));      // before TaskDispatch: tasks carry the session
 * await secure.advertise(siteId, keys);              // `secagg:keys`
 * await secure.fold(studyId, 1, siteId, sha256);     // after the masked upload is stored
 * const next = await secure.aggregate(studyId, 1);   // { sha256, bytes, screening: Map {} }
 */
export class SecureAggregationService {
  private readonly sessions = new Map<string, MaskedRound>();
  private readonly windows = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly presence: SitePresence,
    private readonly sites: SiteRepository,
    private readonly models: GlobalModelRepository,
    private readonly cache: BlobCache,
    private readonly blobs: BlobStore,
    private readonly log: SecureAggregationLog,
    private readonly options: SecureAggregationOptions = { windowMs: 60_000 },
  ) {}

  /** Opens a session when a secure study's training tasks go out; forgets it when the round is over. */
  async onChange(change: RoundChange): Promise<void> {
    const { study, round } = change;
    const training = effectOf(change, 'sendTrainingTasks');
    if (training && study.spec.secure_aggregation) {
      await this.open(study, round, training.siteIds, study.spec.secure_aggregation);
      return;
    }
    const held = this.sessions.get(study.id);
    if (held && (round.number !== held.params.round || round.state !== 'training')) {
      if (round.state !== 'aggregating') this.close(study.id);
    }
  }

  /** The `secure_aggregation` field of `siteId`'s train task, or null (no session, or not in it). */
  taskFor(studyId: string, round: number, siteId: string): SecureAggregationTask | null {
    const s = this.sessions.get(studyId);
    if (!s || s.params.round !== round) return null;
    const number = s.params.sites.findIndex((x) => x.siteId === siteId) + 1;
    if (number === 0) return null;
    return {
      site: number,
      sites: s.params.sites.length,
      threshold: s.params.threshold,
      round_tag: s.params.roundTag,
      n_train: s.siteOf(number).nTrain,
      shares: s.params.shares,
      clip_norm: s.clipNorm,
      ...(s.params.ringBits === 32 ? { ring_bits: 32, total_weight: s.totalWeight } : {}),
      // Named only when not the default, as sites of a version before `prg` expect.
      ...(s.params.prg === 'aes-128-ctr' ? { prg: s.params.prg } : {}),
    };
  }

  /** `secagg:keys`: once every site advertised (or the window closed), the roster goes out. */
  advertise(siteId: string, keys: SecAggKeysPayload): void {
    const s = this.current(siteId, keys);
    const site = s.numberOf(siteId);
    this.run(s, {
      type: 'keysAdvertised',
      advertisement: { site, cPublic: Buffer.from(keys.c_public), sPublic: Buffer.from(keys.s_public) },
    });
    if (s.state.advertised.length === s.params.sites.length) this.closeWindow(s, 'advertiseClosed');
  }

  /** `secagg:shares`: once every roster site shared (or the window closed), each gets its shares. */
  shareKeys(siteId: string, shares: SecAggSharesPayload): void {
    const s = this.current(siteId, shares);
    const from = s.numberOf(siteId);
    this.run(s, {
      type: 'sharesSent',
      from,
      shares: shares.shares.map((m) => ({ from, to: m.to, sealed: Buffer.from(m.sealed) })),
    });
    if (s.state.sharers.length === s.state.advertised.length) this.closeWindow(s, 'sharingClosed');
  }

  /**
   * What a masked upload of `siteId` must be: its size (8 bytes per weight) and the weight it was
   * masked with. Throws ROUND_NOT_CURRENT when the session does not take inputs now.
   */
  maskedInput(studyId: string, round: number, siteId: string): { bytes: number; nTrain: number } {
    const s = this.held(studyId, round);
    const number = s.numberOf(siteId);
    if (s.phase !== 'collecting' || !s.state.sharers.some((x) => x.from === number)) {
      throw new DomainError(
        'ROUND_NOT_CURRENT',
        `the secure-aggregation session of round ${round} takes no masked input from site ${siteId} now (${s.failure ?? `phase ${s.phase}`}): wait for the next round`,
      );
    }
    return { bytes: s.inputBytes, nTrain: s.siteOf(number).nTrain };
  }

  /**
   * Adds the stored masked input `sha256` of `siteId` to the session's sum, read from the blob store
   * in chunks (never whole). A failure part-way leaves the sum unusable: the session fails with the
   * reason, and so will the round's aggregation.
   */
  async fold(studyId: string, round: number, siteId: string, sha256: string): Promise<void> {
    const s = this.held(studyId, round);
    const { nTrain } = this.maskedInput(studyId, round, siteId);
    const file = await this.blobs.localFile(sha256);
    try {
      if (file === null) throw new Error(`masked input ${sha256} is not in the blob store`);
      const fd = await fs.promises.open(file, 'r');
      try {
        const bytes = (await fd.stat()).size;
        if (bytes !== s.inputBytes)
          throw new Error(`masked input ${sha256} is ${bytes} bytes, expected ${s.inputBytes}`);
        const buf = Buffer.alloc(FOLD_CHUNK_BYTES);
        for (let at = 0; at < bytes; at += FOLD_CHUNK_BYTES) {
          const n = Math.min(FOLD_CHUNK_BYTES, bytes - at);
          const { bytesRead } = await fd.read(buf, 0, n, at);
          if (bytesRead !== n) throw new Error(`masked input ${sha256}: short read at byte ${at}`);
          // Ring words are little-endian on the wire and on disk, as on every host Node runs here.
          s.sum.add({
            from: at / s.elementBytes,
            words: new Uint32Array(buf.buffer, buf.byteOffset, n / 4),
          });
        }
      } finally {
        await fd.close();
      }
    } catch (e) {
      const reason = `site ${siteId}'s masked input could not be folded: ${e instanceof Error ? e.message : String(e)}`;
      this.run(s, { type: 'abort', reason });
      throw new Error(reason);
    }
    this.run(s, { type: 'maskedInputReceived', site: s.numberOf(siteId), nSamples: nTrain });
  }

  /**
   * The round's new global: closes the inputs, asks the survivors for the unmasking shares, removes
   * the masks, checks the sum against `clip_norm`, and writes global + Σnᵢδᵢ/Σnᵢ to the blob store
   * chunk by chunk. Throws SecureSessionLost when no session of `round` is held, and an Error with
   * the session's reason when it fails (too few survivors, a bad share, a sum past the bound).
   */
  async aggregate(studyId: string, round: number): Promise<AggregatedRound> {
    const s = this.sessions.get(studyId);
    if (!s || s.params.round !== round) throw new SecureSessionLost(studyId, round);
    try {
      const plan = await this.unmaskPlan(s);
      s.sum.unmask(plan);
      const problem = unmaskedNormProblem(s.sum, plan, s.clipNorm);
      if (problem) throw new Error(problem);
      const stored = await this.blobs.putChunks(() => newGlobalChunks(s, plan));
      this.log.info(
        { studyId, round, survivors: plan.survivors.length, dropped: plan.droppedKeys.size },
        'secure aggregation unmasked',
      );
      return { ...stored, screening: new Map() };
    } finally {
      this.close(studyId);
    }
  }

  /** Forgets a study's session (round over, study stopped). */
  close(studyId: string): void {
    clearTimeout(this.windows.get(studyId));
    this.windows.delete(studyId);
    this.sessions.delete(studyId);
  }

  /**
   * The session's mask PRG: the study's `prg` when it names one; else aes-128-ctr (the cheaper
   * unmasking, README "Secure aggregation") when every session site's hello lists it, and otherwise
   * (a site of a version before it) aes-256-ctr, which every client expands.
   */
  private prgOf(spec: SecureAggregationSpec, sites: readonly MaskedSite[]): { prg?: MaskPrg } {
    if (spec.prg !== undefined) return { prg: spec.prg };
    const all = sites.every((s) => this.presence.get(s.siteId)?.hello?.secagg_prgs?.includes('aes-128-ctr'));
    return all && sites.length > 0 ? { prg: 'aes-128-ctr' } : {};
  }

  private async open(
    study: Study,
    round: Round,
    siteIds: readonly string[],
    spec: SecureAggregationSpec,
  ): Promise<void> {
    this.close(study.id);
    const model = await this.models.find(study.id, round.number - 1);
    if (!model) {
      this.log.warn({ studyId: study.id, round: round.number }, 'secure aggregation: no base model');
      return;
    }
    const global = decodeUpdate(await this.cache.get(model.sha256));
    const cap = robustnessOf(study.spec).max_site_cases;
    const sites: MaskedSite[] = [];
    for (const siteId of [...siteIds].sort()) {
      const approved = (await this.sites.findById(siteId))?.approvedCases ?? null;
      const claimed = this.presence.get(siteId)?.hello?.n_train ?? approved?.nTrain ?? 0;
      if (approved === null || claimed < 1) {
        this.log.warn(
          { studyId: study.id, round: round.number, siteId },
          'secure aggregation: the site has no approved case count; it is left out of the session',
        );
        continue;
      }
      sites.push({ siteId, nTrain: Math.min(claimed, approved.nTrain, cap) });
    }
    let session: MaskedRound;
    try {
      session = new MaskedRound({
        studyId: study.id,
        round: round.number,
        roundTag: `${study.id}/${round.number}/${round.attempt}/${randomUUID()}`,
        threshold: spec.threshold,
        sites,
        shares: Math.max(1, study.spec.sites.length),
        global,
        clipNorm: spec.clip_norm,
        ringBits: spec.ring_bits ?? 64,
        ...this.prgOf(spec, sites),
      });
    } catch (e) {
      this.log.warn(
        { err: e, studyId: study.id, round: round.number },
        'secure aggregation: no session could be opened; the round waits for its deadline',
      );
      return;
    }
    if (session.params.ringBits === 32) {
      // The clipped grid's step grows with clip_norm × W: say what precision the round will have.
      const q = gridStep(session.layout.scales[0] ?? 1);
      this.log.info(
        {
          studyId: study.id,
          round: round.number,
          clipNorm: spec.clip_norm,
          totalWeight: session.totalWeight,
          gridStep: q,
          meanRoundingBound: (sites.length * q) / (2 * session.totalWeight),
        },
        'secure aggregation on the 32-bit ring: the mean is within meanRoundingBound of exact per weight (a tighter clip_norm gives a finer grid)',
      );
    }
    this.sessions.set(study.id, session);
    this.arm(session, 'advertiseClosed');
  }

  /** Runs the machine's effects: roster and deliveries to the sites, failures to the log. */
  private run(s: MaskedRound, event: Parameters<MaskedRound['step']>[0]): void {
    for (const effect of s.step(event)) this.effect(s, effect);
  }

  private effect(s: MaskedRound, e: SessionEffect): void {
    const ref = { study_id: s.params.studyId, round: s.params.round, round_tag: s.params.roundTag };
    switch (e.type) {
      case 'broadcastRoster': {
        const roster = e.roster.map((a) => ({ site: a.site, c_public: a.cPublic, s_public: a.sPublic }));
        for (const a of e.roster) this.channel(s, a.site)?.roster({ ...ref, roster });
        this.arm(s, 'sharingClosed');
        return;
      }
      case 'deliverShares':
        this.channel(s, e.to)?.deliver({
          ...ref,
          shares: e.shares.map((m) => ({ from: m.from, sealed: m.sealed })),
        });
        return;
      case 'sessionFailed':
        this.log.warn(
          { studyId: s.params.studyId, round: s.params.round, reason: e.reason },
          'secure aggregation failed',
        );
        return;
      case 'requestUnmasking': // asked by unmaskPlan, which awaits the answers
      case 'unmask':
        return;
    }
  }

  /** Closes the inputs, gathers the survivors' answers, and returns the machine's unmask plan. */
  private async unmaskPlan(s: MaskedRound): Promise<UnmaskPlan> {
    const effects = s.step({ type: 'inputsClosed' });
    const request = effects.find((e) => e.type === 'requestUnmasking');
    if (!request) throw new Error(s.failure ?? 'the session did not ask for the unmasking');
    const ref = { study_id: s.params.studyId, round: s.params.round, round_tag: s.params.roundTag };
    const wire = { ...ref, survivors: [...request.request.survivors], dropped: [...request.request.dropped] };
    const answers = await Promise.all(
      request.to.map(async (site) => {
        const channel = this.channel(s, site);
        const ack = channel
          ? await channel.unmask(wire).catch((e: unknown) => (e instanceof Error ? e.message : String(e)))
          : 'not connected';
        return { site, ack };
      }),
    );
    for (const { site, ack } of answers) {
      if (typeof ack === 'string' || !ack.ok) {
        this.log.warn(
          { studyId: ref.study_id, round: ref.round, site: s.siteOf(site).siteId, why: ack },
          'secure aggregation: a survivor did not answer the unmasking',
        );
        continue;
      }
      try {
        s.step({
          type: 'unmaskResponse',
          response: {
            site,
            selfShares: ack.self_shares.map((h) => ({ of: h.of, y: bytesToElement(h.y) })),
            keyShares: ack.key_shares.map((h) => ({ of: h.of, y: bytesToElement(h.y) })),
          },
        });
      } catch (e) {
        this.log.warn(
          { err: e, studyId: ref.study_id, round: ref.round },
          'secure aggregation: answer refused',
        );
      }
    }
    const closed = s.step({ type: 'unmaskClosed' });
    const unmask = closed.find((e) => e.type === 'unmask');
    if (!unmask) throw new Error(s.failure ?? 'the session could not be unmasked');
    return unmask.plan;
  }

  /** Closes advertising or sharing after the window, for the sites that never sent theirs. */
  private arm(s: MaskedRound, event: 'advertiseClosed' | 'sharingClosed'): void {
    clearTimeout(this.windows.get(s.params.studyId));
    const timer = setTimeout(() => {
      if (this.sessions.get(s.params.studyId) !== s) return;
      const phase = event === 'advertiseClosed' ? 'advertising' : 'sharing';
      if (s.phase === phase) this.closeWindow(s, event);
    }, this.options.windowMs);
    timer.unref();
    this.windows.set(s.params.studyId, timer);
  }

  private closeWindow(s: MaskedRound, event: 'advertiseClosed' | 'sharingClosed'): void {
    clearTimeout(this.windows.get(s.params.studyId));
    this.run(s, { type: event });
  }

  private channel(s: MaskedRound, site: number): SecAggChannel | undefined {
    return this.presence.get(s.siteOf(site).siteId)?.secagg;
  }

  private held(studyId: string, round: number): MaskedRound {
    const s = this.sessions.get(studyId);
    if (!s || s.params.round !== round) {
      throw new DomainError(
        'ROUND_NOT_CURRENT',
        `round ${round} of study ${studyId} has no secure-aggregation session on this coordinator`,
      );
    }
    return s;
  }

  /** The session a site's `secagg:*` message names, checked against its round tag. */
  private current(siteId: string, ref: { study_id: string; round: number; round_tag: string }): MaskedRound {
    const s = this.held(ref.study_id, ref.round);
    if (ref.round_tag !== s.params.roundTag) {
      throw new DomainError(
        'ROUND_NOT_CURRENT',
        `round_tag ${ref.round_tag} is not the current session of round ${ref.round} (site ${siteId}): drop it and wait for the next task`,
      );
    }
    return s;
  }
}

/** The f32 blob of global + Σnᵢδᵢ/Σnᵢ, read from the unmasked sum one tensor at a time. */
function newGlobalChunks(s: MaskedRound, plan: UnmaskPlan): Iterable<Uint8Array> {
  const { global } = s.params;
  let cached: { k: number; sums: Float64Array } | null = null;
  return f32BlobChunks(global, (k, from, out) => {
    if (cached?.k !== k) cached = { k, sums: s.sum.sums(k) };
    const base = (global[k] as WeightTensor).values.subarray(from, from + out.length);
    gridMean(
      cached.sums.subarray(from, from + out.length),
      gridStep(s.layout.scales[k] as number),
      plan.totalWeight,
      out,
      base,
    );
  });
}
