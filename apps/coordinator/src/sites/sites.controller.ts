import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../auth/admin.guard';
import { CreateSiteDto } from './create-site.dto';
import { mapEnrolledSite, mapSite, type SiteResponse } from './site.response';
import { SitesService } from './sites.service';

@Controller('api/sites')
@UseGuards(AdminGuard)
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Post()
  async enrol(@Body() dto: CreateSiteDto): Promise<SiteResponse & { enrolment_token: string }> {
    return mapEnrolledSite(await this.sites.enrol(dto.name.trim(), 'admin'));
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
}
