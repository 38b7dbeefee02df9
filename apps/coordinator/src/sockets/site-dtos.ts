// class-transformer's @Type reads design-time metadata; load the polyfill wherever DTOs are used.
import 'reflect-metadata';
import type { Engine, SiteMetricsReport } from '@fedaln/protocol';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const SHA256 = /^[0-9a-f]{64}$/;
const ENGINES: readonly Engine[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export class HelloDto {
  @IsIn(ENGINES) engine!: Engine;
  @IsInt() @Min(1) @Max(4096) cores!: number;
  @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(200) gpu!: string | null;
  @IsInt() @Min(0) n_train!: number;
  @IsInt() @Min(0) n_test!: number;
  @IsString() @MaxLength(50) client_version!: string;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) images_per_s!: number;
  @IsOptional() @IsBoolean() clinical_features?: boolean;
}

export class DownloadBeginDto {
  @IsUUID() study_id!: string;
  @IsInt() @Min(1) round!: number;
  @Matches(SHA256, { message: 'model_sha256 must be 64 lowercase hex digits' }) model_sha256!: string;
}

export class DownloadFrameDto {
  @IsUUID() download_id!: string;
  @IsInt() @Min(0) index!: number;
}

export class UploadBeginDto {
  @IsUUID() study_id!: string;
  @IsInt() @Min(1) round!: number;
  @Matches(SHA256, { message: 'sha256 must be 64 lowercase hex digits' }) sha256!: string;
  @IsInt() @Min(1) bytes!: number;
  @IsInt() @Min(1) @Max(2 ** 24) n_train!: number;
}

export class UploadEndDto {
  @IsUUID() upload_id!: string;
}

const GRID_MAX = 1000;

class ThresholdCountsDto {
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsNumber({}, { each: true }) thresholds!: number[];
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsInt({ each: true }) @Min(0, { each: true }) tp!: number[];
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsInt({ each: true }) @Min(0, { each: true }) fp!: number[];
}

class ScoreHistogramsDto {
  @IsInt() @Min(1) @Max(GRID_MAX) bins!: number;
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsInt({ each: true }) @Min(0, { each: true }) positive!: number[];
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsInt({ each: true }) @Min(0, { each: true }) negative!: number[];
}

/**
 * The report's counts and histograms are checked field by field (they are what the coordinator
 * pools); its summary statistics are kept as sent (`@Allow`), nullable per the protocol.
 */
class SiteMetricsReportDto implements SiteMetricsReport {
  @IsInt() @Min(0) n!: number;
  @IsInt() @Min(0) n_pos!: number;
  @ValidateIf((_, v) => v !== null) @IsNumber() @Min(0) @Max(1) auc!: number | null;
  @Allow() prevalence!: SiteMetricsReport['prevalence'];
  @Allow() delong_var!: SiteMetricsReport['delong_var'];
  @Allow() auc_ci!: SiteMetricsReport['auc_ci'];
  @Allow() paired!: SiteMetricsReport['paired'];
  @Allow() youden!: SiteMetricsReport['youden'];
  @Allow() brier!: SiteMetricsReport['brier'];
  @Allow() calibration!: SiteMetricsReport['calibration'];
  @Allow() dca!: SiteMetricsReport['dca'];
  @ValidateNested() @Type(() => ThresholdCountsDto) threshold_counts!: ThresholdCountsDto;
  @ValidateNested() @Type(() => ScoreHistogramsDto) score_histograms!: ScoreHistogramsDto;
}

export class MetricsReportDto {
  @IsUUID() study_id!: string;
  @IsInt() @Min(1) round!: number;
  @IsInt() @Min(0) model_version!: number;
  @Matches(SHA256, { message: 'model_sha256 must be 64 lowercase hex digits' }) model_sha256!: string;
  @ValidateNested() @Type(() => SiteMetricsReportDto) report!: SiteMetricsReportDto;
}

/** `train:progress` (events.ts): counts from 1; `TrainingProgressRelay` checks `epoch ≤ epochs`, `batch ≤ batches`. */
export class TrainProgressDto {
  @IsUUID() study_id!: string;
  @IsInt() @Min(1) round!: number;
  @IsInt() @Min(1) @Max(10_000) epoch!: number;
  @IsInt() @Min(1) @Max(10_000) epochs!: number;
  @IsInt() @Min(1) @Max(2 ** 24) batch!: number;
  @IsInt() @Min(1) @Max(2 ** 24) batches!: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) loss!: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) images_per_s!: number;
}
