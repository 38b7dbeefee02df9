import { Controller, Get, Param, ParseIntPipe, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import {
  mapRoundMetrics,
  mapVerdicts,
  type RoundMetricsResponse,
  type VerdictResponse,
} from '../releases/release.response';
import type { ReleaseCandidate } from './release-candidate';
import { RoundEvaluationService } from './round-evaluation.service';

@Controller('api/studies/:id')
@UseGuards(AdminGuard)
export class RoundMetricsController {
  constructor(private readonly evaluation: RoundEvaluationService) {}

  /** Per site the stored report; pooled ROC/AUC and decision curve; the round's policy verdict. */
  @Get('rounds/:n/metrics')
  async metrics(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('n', new ParseIntPipe()) n: number,
  ): Promise<RoundMetricsResponse> {
    return mapRoundMetrics(await this.evaluation.get(id, n));
  }

  /**
   * The lead's (admin token) release candidate (issue 15): the completed round with the best pooled
   * validation AUC, else the last completed one; its figures, every round's, and why.
   */
  @Get('release-candidate')
  async releaseCandidate(@Param('id', new ParseUUIDPipe()) id: string): Promise<ReleaseCandidate> {
    const c = await this.evaluation.releaseCandidate(id);
    return {
      round: c.round,
      pooled_validation_auc: c.pooled_validation_auc,
      rule: c.rule,
      reason: c.reason,
      rounds: c.rounds,
    };
  }

  /** Every recorded verdict of the study, by round. */
  @Get('verdicts')
  async verdicts(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<(VerdictResponse & { round: number })[]> {
    return mapVerdicts(await this.evaluation.verdicts(id));
  }
}
