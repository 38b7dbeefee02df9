import {
  FrameServer,
  type DownloadBeginAccepted,
  type DownloadBeginPayload,
  type DownloadFrameAccepted,
  type DownloadFramePayload,
} from '@fedaln/protocol';
import { randomUUID } from 'node:crypto';
import { SocketRefusal } from '../gateway/socket-error';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { currentRound } from '../orchestration/current-round';
import type { RoundRepository } from '../rounds/round.repository';
import type { StudyRepository } from '../studies/study.repository';
import type { BlobCache } from './blob-cache';

export interface ModelDownloadsDeps {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly models: GlobalModelRepository;
  readonly cache: BlobCache;
}

/**
 * Global models served to sites as chunked downloads (`download:begin`, then `download:frame`
 * requests): a site may fetch the model its current round trains from or evaluates, frames come from
 * the blob cache (`FrameServer`), and a site has at most one download open — a new one, or its
 * disconnect ({@link forget}), drops the old. Throws `SocketRefusal`.
 *
 * @example
 * const begin = await downloads.begin(siteId, { study_id, round, model_sha256 });
 * const frame = downloads.frame(siteId, { download_id: begin.download_id, index: 0 });
 */
export class ModelDownloads {
  private readonly open = new Map<string, { siteId: string; server: FrameServer }>();

  constructor(private readonly deps: ModelDownloadsDeps) {}

  async begin(siteId: string, req: DownloadBeginPayload): Promise<DownloadBeginAccepted> {
    const { study, round } = await currentRound(this.deps, siteId, req.study_id, req.round);
    const versions = await Promise.all(
      [round.number - 1, round.number].map((v) => this.deps.models.find(study.id, v)),
    );
    const model = versions.find((m) => m?.sha256 === req.model_sha256);
    if (!model) {
      throw new SocketRefusal(
        'not_found',
        `model ${req.model_sha256} is not a model of round ${round.number}`,
      );
    }
    const server = new FrameServer(await this.deps.cache.get(model.sha256));
    this.forget(siteId);
    const download_id = randomUUID();
    this.open.set(download_id, { siteId, server });
    return { download_id, ...server.describe() };
  }

  frame(siteId: string, req: DownloadFramePayload): DownloadFrameAccepted {
    const d = this.open.get(req.download_id);
    if (!d || d.siteId !== siteId)
      throw new SocketRefusal('not_found', `no download ${req.download_id} of this site`);
    const frame = d.server.frame(req.index);
    if (!frame.ok) throw new SocketRefusal(frame.code, frame.message);
    return { index: frame.index, data: frame.data };
  }

  /** Drops the site's open download, if any. */
  forget(siteId: string): void {
    for (const [id, d] of this.open) if (d.siteId === siteId) this.open.delete(id);
  }
}
