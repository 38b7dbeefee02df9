import {
  FRAME_BYTES,
  frameCount,
  frameRange,
  type DownloadBeginAccepted,
  type DownloadBeginPayload,
  type DownloadFrameAccepted,
  type DownloadFramePayload,
} from '@fedaln/protocol';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/domain-error';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { currentRound } from '../rounds/current-round';
import type { RoundRepository } from '../rounds/round.repository';
import type { StudyRepository } from '../studies/study.repository';
import type { BlobCache } from './blob-cache';

/**
 * A site fetching a global model of its current round (the one it trains from, or the one it
 * evaluates): `download:begin` names the model by sha256, `download:frame` asks for one frame of it
 * at a time, served from the blob cache. One open download per site.
 *
 * @example
 * const { download_id, frames } = await downloads.begin(siteId, { study_id, round, model_sha256 });
 * downloads.frame(siteId, { download_id, index: 0 }); // { index: 0, data }
 */
export class ModelDownloads {
  private readonly open = new Map<string, { siteId: string; bytes: Buffer }>();

  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly models: GlobalModelRepository,
    private readonly cache: BlobCache,
  ) {}

  async begin(siteId: string, req: DownloadBeginPayload): Promise<DownloadBeginAccepted> {
    const { study, round } = await currentRound(
      { studies: this.studies, rounds: this.rounds },
      siteId,
      req.study_id,
      req.round,
    );
    const versions = await Promise.all(
      [round.number - 1, round.number].map((v) => this.models.find(study.id, v)),
    );
    const model = versions.find((m) => m?.sha256 === req.model_sha256);
    if (!model) {
      throw new DomainError(
        'MODEL_NOT_FOUND',
        `model ${req.model_sha256} is not a model of round ${round.number}`,
      );
    }
    const bytes = await this.cache.get(model.sha256);
    this.forget(siteId);
    const download_id = randomUUID();
    this.open.set(download_id, { siteId, bytes });
    return { download_id, bytes: bytes.length, frames: frameCount(bytes.length), frame_bytes: FRAME_BYTES };
  }

  frame(siteId: string, req: DownloadFramePayload): DownloadFrameAccepted {
    const d = this.open.get(req.download_id);
    if (!d || d.siteId !== siteId)
      throw new DomainError('TRANSFER_NOT_FOUND', `no download ${req.download_id} of this site`);
    const frames = frameCount(d.bytes.length);
    if (req.index >= frames)
      throw new DomainError('TRANSFER_BAD_FRAME', `frame ${req.index} is outside 0..${frames - 1}`);
    const { start, end } = frameRange(req.index, d.bytes.length);
    return { index: req.index, data: d.bytes.subarray(start, end) };
  }

  /** Drops the site's open download (it left, or began another). */
  forget(siteId: string): void {
    for (const [id, d] of this.open) if (d.siteId === siteId) this.open.delete(id);
  }
}
