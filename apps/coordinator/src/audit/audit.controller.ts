import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import { AuditChainReader } from './audit-log';

export interface AuditHeadResponse {
  /** null while the audit log is empty. */
  readonly head: { readonly id: string; readonly hash: string; readonly at: string } | null;
}

/**
 * `GET /api/audit/head`, for the lead only (admin token): the audit chain's last row {id, hash, at},
 * to anchor elsewhere while the coordinator runs (the `audit head` command needs the PGlite folder
 * to itself). `audit verify --anchor ID:HASH` later proves the chain still holds it.
 */
@Controller('api/audit')
@UseGuards(AdminGuard)
export class AuditController {
  constructor(@Inject(AuditChainReader) private readonly chain: AuditChainReader) {}

  @Get('head')
  async head(): Promise<AuditHeadResponse> {
    const head = await this.chain.head();
    return { head: head && { id: head.id, hash: head.hash, at: head.at.toISOString() } };
  }
}
