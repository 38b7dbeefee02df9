import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import { RoundsService } from '../rounds/rounds.service';
import { StudiesService } from './studies.service';
import { StudySpecDto } from './study-spec.dto';
import { mapStudy, type StudyResponse } from './study.response';
import { studySpecFromDto } from './validate-study-spec';

const uuid = new ParseUUIDPipe();

@Controller('api/studies')
@UseGuards(AdminGuard)
export class StudiesController {
  constructor(
    private readonly studies: StudiesService,
    private readonly rounds: RoundsService,
  ) {}

  @Post()
  async create(@Body() dto: StudySpecDto): Promise<StudyResponse> {
    return mapStudy(await this.studies.create(studySpecFromDto(dto), 'admin'));
  }

  @Get()
  async list(): Promise<StudyResponse[]> {
    return (await this.studies.list()).map((s) => mapStudy(s));
  }

  /** The study; with `awaiting_lead` (why it is paused for the lead to decide, or null). */
  @Get(':id')
  async get(@Param('id', uuid) id: string): Promise<StudyResponse> {
    const study = await this.studies.get(id);
    return mapStudy(study, await this.studies.awaitingLead(study));
  }

  @Post(':id/start')
  @HttpCode(200)
  async start(@Param('id', uuid) id: string): Promise<StudyResponse> {
    return mapStudy(await this.rounds.startStudy(id, 'admin'));
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@Param('id', uuid) id: string): Promise<StudyResponse> {
    return mapStudy(await this.rounds.pauseStudy(id, 'admin'));
  }

  @Post(':id/resume')
  @HttpCode(200)
  async resume(@Param('id', uuid) id: string): Promise<StudyResponse> {
    return mapStudy(await this.rounds.resumeStudy(id, 'admin'));
  }

  @Post(':id/abort')
  @HttpCode(200)
  async abort(@Param('id', uuid) id: string): Promise<StudyResponse> {
    return mapStudy(await this.rounds.abortStudy(id, 'admin'));
  }
}
