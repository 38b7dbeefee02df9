import type { GlobalModel } from '../../domain/records';
import type { GlobalModelEntity } from '../entities/global-model.entity';
import { toDate } from './column';

export function globalModelFromEntity(e: GlobalModelEntity): GlobalModel {
  return {
    studyId: e.studyId,
    version: e.version,
    sha256: e.sha256,
    bytes: Number(e.bytes),
    roundNumber: e.roundNumber,
    createdAt: toDate(e.createdAt),
    ...(e.serverStateSha256 ? { serverStateSha256: e.serverStateSha256 } : {}),
  };
}
