import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Post,
  Res,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import type { SignedReleaseManifest } from '@fedaln/protocol';
import * as fs from 'node:fs';
import { AdminGuard } from '../auth/admin.guard';
import { AdminOrSiteGuard } from '../auth/admin-or-site.guard';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import type { HttpResponse } from '../http/http-types';
import type { ModelCard } from './card/model-card';
import { CreateReleaseDto } from './create-release.dto';
import { mapRelease, type ReleaseResponse } from './release.response';
import { ReleasesService } from './releases.service';

const uuid = new ParseUUIDPipe();
const int = new ParseIntPipe();

/** The lead releases a completed round, and lists a study's releases. */
@Controller('api/studies/:id/releases')
@UseGuards(AdminGuard)
export class StudyReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Post()
  async create(
    @Param('id', uuid) id: string,
    @Body() dto: CreateReleaseDto,
    @CurrentPrincipal() who: Principal,
  ): Promise<ReleaseResponse> {
    return mapRelease(await this.releases.release(id, dto.round, dto.override_reason, who));
  }

  @Get()
  async list(@Param('id', uuid) id: string, @CurrentPrincipal() who: Principal): Promise<ReleaseResponse[]> {
    return (await this.releases.list(who, id)).map(mapRelease);
  }
}

/**
 * Releases and their files, for the lead and for the sites of the release's study. A site sees its own
 * evaluation report only, in the record and the model card; the pooled figures cover every site
 * (release-visibility.ts).
 */
@Controller('api/releases')
@UseGuards(AdminOrSiteGuard)
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  async list(@CurrentPrincipal() who: Principal): Promise<ReleaseResponse[]> {
    return (await this.releases.list(who)).map(mapRelease);
  }

  @Get(':version')
  async get(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
  ): Promise<ReleaseResponse> {
    return mapRelease(await this.releases.get(version, who));
  }

  /**
   * The signed blob; its sha256, the signature over it and the sha256 of the release's signed manifest
   * also travel as headers (`X-Content-SHA256`, `X-Signature-Ed25519`, `X-Release-Manifest-SHA256`).
   */
  @Get(':version/weights')
  async weights(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamableFile> {
    const { record, stream, bytes } = await this.releases.weights(version, who);
    res.setHeader('ETag', `"${record.weights_sha256}"`);
    res.setHeader('X-Content-SHA256', record.weights_sha256);
    res.setHeader('X-Signature-Ed25519', record.signature);
    if (record.manifest) res.setHeader('X-Release-Manifest-SHA256', record.manifest.sha256);
    return new StreamableFile(stream, {
      type: 'application/octet-stream',
      length: bytes,
      disposition: `attachment; filename="fedaln-release-v${version}.fedaln"`,
    });
  }

  /**
   * The release's signed manifest and its signature (`{ manifest, signature }`), the file a pulled
   * model folder keeps; for the lead and the sites of the release's study, like the other files.
   * 404 for a release made before signed manifests.
   */
  @Get(':version/manifest.json')
  async manifest(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
  ): Promise<SignedReleaseManifest> {
    return this.releases.manifest(version, who);
  }

  @Get(':version/card.json')
  async cardJson(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
  ): Promise<ModelCard> {
    return this.releases.card(version, who);
  }

  @Get(':version/card.html')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
  async cardHtml(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
  ): Promise<string> {
    return this.releases.cardHtml(version, who);
  }

  /** The release's nomogram (issue 15): the exact text its signed manifest's nomogram_sha256 names. */
  @Get(':version/nomogram.json')
  @Header('Content-Type', 'application/json')
  async nomogram(
    @Param('version', int) version: number,
    @CurrentPrincipal() who: Principal,
  ): Promise<string> {
    return this.releases.nomogram(version, who);
  }

  /** `model.json` (tfjs layers format) and the weight shards it names, at paths relative to it. */
  @Get(':version/:file')
  async layersFile(
    @Param('version', int) version: number,
    @Param('file') file: string,
    @CurrentPrincipal() who: Principal,
  ): Promise<StreamableFile> {
    const full = await this.releases.layersFile(version, file, who);
    return new StreamableFile(fs.createReadStream(full), {
      type: file === 'model.json' ? 'application/json' : 'application/octet-stream',
      length: (await fs.promises.stat(full)).size,
    });
  }
}
