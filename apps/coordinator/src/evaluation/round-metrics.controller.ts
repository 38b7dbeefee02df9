import { Controller, Get, Param, ParseIntPipe, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import {
  mapRoundMetrics,
  mapVerdicts,
  type RoundMetricsResponse,
  type VerdictResponse,
} from '../releases/release.response';
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

  /** Every recorded verdict of the study, by round. */
  @Get('verdicts')
  async verdicts(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<(VerdictResponse & { round: number })[]> {
    return mapVerdicts(await this.evaluation.verdicts(id));
  }
}
