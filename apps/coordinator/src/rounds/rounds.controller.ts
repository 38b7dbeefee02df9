import { Controller, Get, Param, ParseIntPipe, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import { mapParticipant, mapRound, type ParticipantResponse, type RoundResponse } from './round.response';
import { RoundsService } from './rounds.service';

@Controller('api/studies/:id/rounds')
@UseGuards(AdminGuard)
export class RoundsController {
  constructor(private readonly rounds: RoundsService) {}

  @Get()
  async list(@Param('id', new ParseUUIDPipe()) id: string): Promise<RoundResponse[]> {
    return (await this.rounds.listRounds(id)).map(({ round, privacy }) => mapRound(round, privacy));
  }

  @Get(':n')
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('n', new ParseIntPipe()) n: number,
  ): Promise<RoundResponse & { participants: ParticipantResponse[] }> {
    const { round, participants, privacy } = await this.rounds.getRound(id, n);
    return { ...mapRound(round, privacy), participants: participants.map(mapParticipant) };
  }
}
