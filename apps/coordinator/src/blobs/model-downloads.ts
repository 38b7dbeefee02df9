import {
  FrameServer,
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
 * at a time, served from the blob cache (`FrameServer`). One open download per site: a new one, or
 * the site leaving ({@link forget}), drops the old.
 *
 * @example
 * const { download_id, frames } = await downloads.begin(siteId, { study_id, round, model_sha256 });
 * downloads.frame(siteId, { download_id, index: 0 }); // { index: 0, data }
 */
export class ModelDownloads {
  private readonly open = new Map<string, { siteId: string; server: FrameServer }>();

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
    const server = new FrameServer(await this.cache.get(model.sha256));
    this.forget(siteId);
    const download_id = randomUUID();
    this.open.set(download_id, { siteId, server });
    return { download_id, ...server.describe() };
  }

  frame(siteId: string, req: DownloadFramePayload): DownloadFrameAccepted {
    const d = this.open.get(req.download_id);
    if (!d || d.siteId !== siteId)
      throw new DomainError('TRANSFER_NOT_FOUND', `no download ${req.download_id} of this site`);
    const frame = d.server.frame(req.index);
    if (!frame.ok) throw new DomainError('TRANSFER_BAD_FRAME', frame.message);
    return { index: frame.index, data: frame.data };
  }

  /** Drops the site's open download (it left, or began another). */
  forget(siteId: string): void {
    for (const [id, d] of this.open) if (d.siteId === siteId) this.open.delete(id);
  }
}
