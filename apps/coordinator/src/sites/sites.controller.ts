import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import { ApproveCasesDto, CreateSiteDto } from './create-site.dto';
import { mapEnrolledSite, mapSite, type SiteResponse } from './site.response';
import { SitesService } from './sites.service';

@Controller('api/sites')
@UseGuards(AdminGuard)
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post()
  async enrol(@Body() dto: CreateSiteDto): Promise<SiteResponse & { enrolment_token: string }> {
    const approved =
      dto.n_train === undefined || dto.n_test === undefined
        ? null
        : { nTrain: dto.n_train, nTest: dto.n_test };
    return mapEnrolledSite(await this.sites.enrol(dto.name.trim(), 'admin', approved));
  }

  @Get()
  async list(): Promise<SiteResponse[]> {
    return (await this.sites.list()).map(mapSite);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<SiteResponse> {
    return mapSite(await this.sites.revoke(id, 'admin'));
  }

  /** The lead approves (or changes) the site's case counts; audit-logged. */
  @Post(':id/cases')
  @HttpCode(200)
  async approveCases(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: ApproveCasesDto,
  ): Promise<SiteResponse> {
    return mapSite(await this.sites.approveCases(id, { nTrain: dto.n_train, nTest: dto.n_test }, 'admin'));
  }
}
