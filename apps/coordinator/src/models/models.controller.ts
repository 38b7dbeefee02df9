import {
  Controller,
  Get,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Res,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import { AdminOrSiteGuard } from '../auth/admin-or-site.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import type { HttpResponse } from '../http/http-types';
import { GlobalModelsService } from './global-models.service';

@Controller('api/studies/:id/models')
@UseGuards(AdminOrSiteGuard)
export class ModelsController {
  constructor(private readonly models: GlobalModelsService) {}

  /** Streams the weights blob; its sha256 (the blob's name) travels in `X-Content-SHA256` and the ETag. */
  @Get(':version')
  async download(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('version', new ParseIntPipe()) version: number,
    @CurrentPrincipal() who: Principal,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamableFile> {
    const { model, stream } = await this.models.open(id, version, who);
    res.setHeader('ETag', `"${model.sha256}"`);
    res.setHeader('X-Content-SHA256', model.sha256);
    return new StreamableFile(stream, {
      type: 'application/octet-stream',
      length: model.bytes,
      disposition: `attachment; filename="${id}-v${version}.fedaln"`,
    });
  }
}
