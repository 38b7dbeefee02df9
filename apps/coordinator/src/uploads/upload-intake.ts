import {
  assertHeaderWithin,
  FRAME_BYTES,
  frameCount,
  openBlobFile,
  type UploadBeginAccepted,
  type UploadBeginPayload,
  type UploadEndAccepted,
  type UploadEndPayload,
  type UploadFrameAccepted,
  type UploadFramePayload,
} from '@fedaln/protocol';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { DomainError, type DomainErrorCode } from '../domain/domain-error';
import type { CheckedUpdate } from '@fedaln/aggregation';
import { SpoolShelf } from './spool-shelf';
import type { UploadSpool } from './upload-spool';
import { currentRound } from '../rounds/current-round';
import type { AuditLog } from '../audit/audit-log';
import type { RoundAggregator } from '../aggregation/round-aggregator';
import type { BlobStore } from '../blobs/blob-store';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { RoundsService } from '../rounds/rounds.service';
import type { StudyRepository } from '../studies/study.repository';
import type { SiteRepository } from '../sites/site.repository';
import { approvedWeight } from '../sites/approved-weight';
import { robustnessOf } from '../domain/study-spec';
import type { MonitorFeed } from '../telemetry/monitor-feed';
import type { RoundChange } from '../rounds/round-changes';
import type { Study } from '../domain/records';

export interface UploadIntakeDeps {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly participants: ParticipantRepository;
  /** Where the lead's approved case counts are, which bound a site's declared n_train. */
  readonly sites: SiteRepository;
  readonly blobs: BlobStore;
  readonly aggregator: RoundAggregator;
  readonly service: RoundsService;
  readonly audit: AuditLog;
  readonly monitor: MonitorFeed;
  /** `<data-dir>/uploads`: partial uploads, kept across restarts. */
  readonly spoolDir: string;
  /** Masked inputs of secure-aggregation studies (`SecureAggregationService`); null: none taken. */
  readonly masked?: MaskedInputs | null;
}

/** Where the masked uploads of a secure-aggregation round go: their size, then their fold. */
export interface MaskedInputs {
  /** The bytes (8 per weight) and the weight of `siteId`'s masked input; throws when none is taken now. */
  maskedInput(studyId: string, round: number, siteId: string): { bytes: number; nTrain: number };
  /** Adds the stored masked input to the round's masked sum. */
  fold(studyId: string, round: number, siteId: string, sha256: string): Promise<void>;
}

type Upload =
  | {
      readonly kind: 'spooling';
      readonly siteId: string;
      readonly spool: UploadSpool;
      readonly nTrain: number;
      /** The most header bytes an update of the round's model layout needs (`blobBounds`). */
      readonly maxHeaderBytes: number;
      /** A masked input (secure aggregation): raw ring words, no blob header, folded masked. */
      readonly masked: boolean;
    }
  | {
      readonly kind: 'counted';
      readonly siteId: string;
      readonly studyId: string;
      readonly round: number;
      readonly sha256: string;
    };

/**
 * A site's update for its current round: `upload:begin` opens (or resumes) a spool on disk,
 * `upload:frame` writes frames there, `upload:end` verifies the sha256, checks the update, persists
 * it (blob store + participant row) and only then has it folded. Idempotent per
 * (study, round, site): a replay of the counted update is acknowledged without being folded again.
 * At most one update per site and study is spooled (see {@link forgetEarlier}); begins of that
 * same update share its live spool (`SpoolShelf`: no re-hash), and their `end`s one verification.
 * An update's size and header are bounded by the round's model layout (`blobBounds`), the header
 * checked from its first frame and again before it is parsed. Spools of rounds that are over are
 * removed ({@link onChange}, {@link removeStaleSpools}).
 *
 * @example
 * const begin = await uploads.begin(siteId, req); // { upload_id, next_frame, frame_bytes }
 */
export class UploadIntake {
  private readonly uploads = new Map<string, Upload>();
  /** Per study, the `end` calls under way (running or queued): a fold waits for the next of them. */
  private readonly ending = new Map<string, number>();
  private readonly shelf: SpoolShelf;
  /** The verification under way of a spool: a second `end` of the same update waits for it. */
  private readonly verifying = new WeakMap<UploadSpool, Promise<UploadEndAccepted>>();

  constructor(private readonly deps: UploadIntakeDeps) {
    this.shelf = new SpoolShelf(deps.spoolDir);
  }

  async begin(siteId: string, req: UploadBeginPayload): Promise<UploadBeginAccepted> {
    const { study, round } = await currentRound(this.deps, siteId, req.study_id, req.round);
    const mine = (await this.deps.participants.list(study.id, round.number)).find((p) => p.siteId === siteId);
    if (mine?.state === 'uploaded') {
      if (mine.updateSha256 !== req.sha256) {
        throw new DomainError(
          'FORBIDDEN',
          `round ${round.number} already counts an update of this site (sha256 ${mine.updateSha256}); a second one is not taken`,
        );
      }
      this.forgetEarlier(siteId, study.id, round.number);
      const upload_id = randomUUID(); // a replay of the counted update: nothing to send, nothing to fold again
      this.uploads.set(upload_id, {
        kind: 'counted',
        siteId,
        studyId: study.id,
        round: round.number,
        sha256: req.sha256,
      });
      return { upload_id, next_frame: frameCount(req.bytes), frame_bytes: FRAME_BYTES };
    }
    if (round.state !== 'training' || mine?.state !== 'assigned') {
      throw new DomainError(
        'ROUND_NOT_CURRENT',
        `round ${round.number} is ${round.state}; this site has no training task in it`,
      );
    }
    if (round.deadline && round.deadline.getTime() < Date.now()) {
      throw new DomainError(
        'ROUND_DEADLINE_PASSED',
        `round ${round.number} closed at ${round.deadline.toISOString()}`,
      );
    }
    const expected = study.spec.secure_aggregation
      ? this.maskedInput(study.id, round.number, siteId, req)
      : await this.plainUpdate(study, round.number, siteId, req);
    const key = { studyId: study.id, round: round.number, siteId, sha256: req.sha256, bytes: req.bytes };
    const spool = this.shelf.spoolFor(key);
    this.forgetEarlier(siteId, study.id, round.number, spool);
    const upload_id = randomUUID();
    this.uploads.set(upload_id, { kind: 'spooling', siteId, spool, ...expected });
    return { upload_id, next_frame: spool.nextFrame, frame_bytes: FRAME_BYTES };
  }

  /** A plain update: its weight (the approved count) and its size bounded by the round's layout. */
  private async plainUpdate(study: Study, round: number, siteId: string, req: UploadBeginPayload) {
    const site = await this.deps.sites.findById(siteId);
    const nTrain = approvedWeight(
      req.n_train,
      site?.approvedCases ?? null,
      robustnessOf(study.spec).max_site_cases,
    );
    const bounds = await this.deps.aggregator.updateBounds(study.id, round);
    const limit = bounds.maxBlobBytes;
    if (!Number.isSafeInteger(req.bytes) || req.bytes < 16 || req.bytes > limit) {
      throw new DomainError(
        'INVALID_INPUT',
        `bytes ${req.bytes} is not a plausible update size (16..${limit}, the most an update of round ${round}'s model layout takes)`,
      );
    }
    return { nTrain, maxHeaderBytes: bounds.maxHeaderBytes, masked: false };
  }

  /** A masked input: exactly 8 bytes per weight, masked with the weight its train task named. */
  private maskedInput(studyId: string, round: number, siteId: string, req: UploadBeginPayload) {
    if (!this.deps.masked)
      throw new Error('this coordinator takes no masked inputs, yet a study uses secure aggregation');
    const want = this.deps.masked.maskedInput(studyId, round, siteId);
    if (req.bytes !== want.bytes) {
      throw new DomainError(
        'INVALID_INPUT',
        `bytes ${req.bytes}: a masked input of round ${round} is ${want.bytes} bytes (8 per weight); mask the update of the task's model`,
      );
    }
    if (req.n_train !== want.nTrain) {
      throw new DomainError(
        'INVALID_INPUT',
        `n_train ${req.n_train}: this masked input must carry the weight its task named (secure_aggregation.n_train ${want.nTrain})`,
      );
    }
    return { nTrain: want.nTrain, maxHeaderBytes: 0, masked: true };
  }

  /** A round that is over (completed or failed) leaves no partial uploads behind. */
  onChange(change: RoundChange): void {
    const { study, round } = change;
    if (round.state === 'completed' || round.state === 'failed')
      this.shelf.removeRound(study.id, round.number);
  }

  /**
   * At start-up: removes the spool folders of every round that is no longer its study's open
   * round, and verified files a killed coordinator left. Returns what was removed.
   */
  removeStaleSpools(): Promise<string[]> {
    return this.shelf.sweep(async (studyId, number) => {
      const study = await this.deps.studies.findById(studyId).catch(() => null);
      if (!study || study.currentRound !== number) return false;
      const round = await this.deps.rounds.find(studyId, number);
      return round !== null && round.state !== 'completed' && round.state !== 'failed';
    });
  }

  /**
   * What a new `upload:begin` of `siteId` in round `round` of a study makes stale: the site's earlier
   * uploads in that study of another update (`SpoolShelf` closed their spools; a file stays for a
   * resume) and every replay held for an earlier round of the study. Uploads of the same update
   * (`spool`, if any) stay: concurrent begins of one update share it. So the replays held are at
   * most one per site and study, and only for rounds still open; without this a site replaying its
   * counted update forever grows the map.
   */
  private forgetEarlier(
    siteId: string,
    studyId: string,
    round: number,
    spool: UploadSpool | null = null,
  ): void {
    for (const [id, u] of this.uploads) {
      if (u.kind === 'spooling') {
        if (u.siteId !== siteId || u.spool.key.studyId !== studyId || u.spool === spool) continue;
      } else if (u.studyId !== studyId || (u.siteId !== siteId && u.round >= round)) {
        continue;
      }
      this.uploads.delete(id);
    }
  }

  frame(siteId: string, frame: UploadFramePayload): UploadFrameAccepted {
    const u = this.upload(siteId, frame.upload_id);
    if (u.kind === 'counted')
      throw new DomainError('INVALID_INPUT', 'this update is already counted; send upload:end');
    // The header's length is in the first 12 bytes: an oversized one is refused before it lands.
    if (frame.index === 0 && u.spool.nextFrame === 0 && !u.masked)
      assertHeaderWithin(frame.data, u.maxHeaderBytes);
    const ack = u.spool.accept(frame.index, frame.data);
    if (!ack.ok) throw transferRefused(ack);
    const { key } = u.spool;
    this.deps.monitor.transferProgress({
      study_id: key.studyId,
      round: key.round,
      site_id: siteId,
      direction: 'upload',
      bytes: Math.min(key.bytes, ack.next_frame * FRAME_BYTES),
      total_bytes: key.bytes,
      mb_per_s: 0,
    });
    return { index: ack.index, next_frame: ack.next_frame };
  }

  /**
   * Verify, persist (blob + participant row), then fold — in that order, one upload at a time per
   * study. The fold waits while another upload of the study is about to be verified, so that the
   * two are folded in one pass over the accumulator (RoundAggregator.foldPending).
   */
  async end(siteId: string, req: UploadEndPayload): Promise<UploadEndAccepted> {
    const u = this.upload(siteId, req.upload_id);
    if (u.kind === 'counted') return { sha256: u.sha256 };
    const under = this.verifying.get(u.spool);
    if (under) return under; // a concurrent begin of this update ended first: one verification
    const ending = this.endSerially(siteId, req.upload_id, u);
    this.verifying.set(u.spool, ending);
    ending.then(
      () => this.settle(u.spool, true),
      () => this.settle(u.spool, false),
    );
    return ending;
  }

  /**
   * After an `end` of `spool`: counted, its other upload ids become replays of the counted update;
   * refused with the spool finished (hash mismatch, update rejected), they go (a begin starts
   * afresh); refused with the spool still open (frames missing), a later `end` tries again.
   */
  private settle(spool: UploadSpool, counted: boolean): void {
    if (!counted) this.verifying.delete(spool);
    if (!counted && spool.isOpen) return;
    const { studyId, round, siteId, sha256 } = spool.key;
    for (const [id, u] of this.uploads) {
      if (u.kind !== 'spooling' || u.spool !== spool) continue;
      if (counted) this.uploads.set(id, { kind: 'counted', siteId, studyId, round, sha256 });
      else this.uploads.delete(id);
    }
  }

  private async endSerially(
    siteId: string,
    uploadId: string,
    u: Extract<Upload, { kind: 'spooling' }>,
  ): Promise<UploadEndAccepted> {
    const { studyId } = u.spool.key;
    const { aggregator } = this.deps;
    this.ending.set(studyId, (this.ending.get(studyId) ?? 0) + 1);
    try {
      return await aggregator.serial.run(studyId, async () => {
        try {
          return await this.accept(siteId, uploadId, u);
        } finally {
          // Others of this study queued behind this one: the last of them folds what waits (as a pair).
          const waiting = (this.ending.get(studyId) ?? 1) - 1;
          if (waiting === 0 || aggregator.pendingCount(studyId) >= 2) await aggregator.foldPending(studyId);
        }
      });
    } finally {
      const left = (this.ending.get(studyId) ?? 1) - 1;
      if (left > 0) this.ending.set(studyId, left);
      else this.ending.delete(studyId);
    }
  }

  /** The serial part of {@link end}: verify, persist, hand over to the aggregator. */
  private async accept(
    siteId: string,
    uploadId: string,
    u: Extract<Upload, { kind: 'spooling' }>,
  ): Promise<UploadEndAccepted> {
    const { key } = u.spool;
    const { aggregator, service } = this.deps;
    const done = u.spool.finish();
    if (!done.ok) {
      if (done.code === 'sha256_mismatch') this.uploads.delete(uploadId);
      throw transferRefused(done);
    }
    this.uploads.delete(uploadId);
    if (u.masked) return this.acceptMasked(siteId, u, done.file);
    // The update is checked from its verified file in chunks, never read whole (openBlobFile).
    let checked: CheckedUpdate;
    try {
      const update = openBlobFile(done.file, { maxHeaderBytes: u.maxHeaderBytes });
      try {
        checked = await aggregator.verify(key.studyId, key.round, update.tensors, u.nTrain);
      } finally {
        update.close();
      }
    } catch (e) {
      fs.rmSync(done.file, { force: true });
      await this.deps.audit.append({
        actor: `site:${siteId}`,
        action: 'round.update_rejected',
        subjectType: 'study',
        subjectId: key.studyId,
        details: {
          round: key.round,
          sha256: key.sha256,
          reason: e instanceof Error ? e.message : String(e),
        },
      });
      throw e;
    }
    // The spool hashed the frames as they landed, and no later upload:begin can touch the verified
    // file (UploadSpool.finish): it is moved into the store as it is.
    await this.deps.blobs.adopt(done.file, key.sha256);
    await service.updateAccepted(key.studyId, key.round, siteId, {
      nTrain: u.nTrain,
      sha256: key.sha256,
      bytes: key.bytes,
    });
    aggregator.accepted(key.studyId, key.round, { siteId, sha256: key.sha256, nTrain: u.nTrain }, checked);
    return { sha256: key.sha256 };
  }

  /**
   * A masked input cannot be checked (the site checked and clipped its update before masking): it
   * is stored, recorded, then folded into the round's masked sum from the blob store.
   */
  private async acceptMasked(
    siteId: string,
    u: Extract<Upload, { kind: 'spooling' }>,
    file: string,
  ): Promise<UploadEndAccepted> {
    const { key } = u.spool;
    const masked = this.deps.masked as MaskedInputs;
    try {
      masked.maskedInput(key.studyId, key.round, siteId); // the session still takes it
    } catch (e) {
      fs.rmSync(file, { force: true });
      throw e;
    }
    await this.deps.blobs.adopt(file, key.sha256);
    await this.deps.service.updateAccepted(key.studyId, key.round, siteId, {
      nTrain: u.nTrain,
      sha256: key.sha256,
      bytes: key.bytes,
    });
    await masked.fold(key.studyId, key.round, siteId, key.sha256);
    return { sha256: key.sha256 };
  }

  private upload(siteId: string, uploadId: string): Upload {
    const u = this.uploads.get(uploadId);
    if (!u || u.siteId !== siteId)
      throw new DomainError('TRANSFER_NOT_FOUND', `no upload ${uploadId} of this site; send upload:begin`);
    return u;
  }
}

/** A spool's refusal (a `ChunkReceiver` ack code) as the domain error it is. */
function transferRefused(ack: { readonly code: string; readonly message: string }): DomainError {
  const codes: Readonly<Record<string, DomainErrorCode>> = {
    bad_frame: 'TRANSFER_BAD_FRAME',
    sha256_mismatch: 'BLOB_HASH_MISMATCH',
  };
  return new DomainError(codes[ack.code] ?? 'INVALID_INPUT', ack.message);
}
