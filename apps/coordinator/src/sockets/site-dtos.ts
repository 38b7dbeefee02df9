// class-transformer's @Type reads design-time metadata; load the polyfill wherever DTOs are used.
import 'reflect-metadata';
import type { Engine, SiteMetricsReport } from '@fedaln/protocol';
import { STUDY_HISTOGRAM_BINS, STUDY_THRESHOLDS } from '@fedaln/metrics';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
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

import { MAX_CASE_COUNT } from '../sites/create-site.dto';

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
  // Names this coordinator does not know are kept and ignored: a newer client may list more.
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @MaxLength(32, { each: true })
  secagg_prgs?: string[];
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

/** Arrays of a report are bounded by the study's layout (study-grid.ts); the intake checks them exactly. */
const GRID_MAX = STUDY_THRESHOLDS.length;
const BINS_MAX = STUDY_HISTOGRAM_BINS;

/** A number of a report: finite (JSON has no NaN or ±∞; those are sent as null). */
const Finite = () => IsNumber({ allowNaN: false, allowInfinity: false });
const FiniteEach = () => IsNumber({ allowNaN: false, allowInfinity: false }, { each: true });
/** Nullable per the protocol: the validators after it apply to a non-null value only. */
const OrNull = () => ValidateIf((_, v: unknown) => v !== null);
/** `[lo, hi]` of probabilities (a CI, a decision-curve range); the intake checks lo ≤ hi. */
const ProbabilityInterval = () =>
  apply(
    IsArray(),
    ArrayMinSize(2),
    ArrayMaxSize(2),
    FiniteEach(),
    Min(0, { each: true }),
    Max(1, { each: true }),
  );
const IntCounts = (max: number) => [
  IsArray(),
  ArrayMaxSize(max),
  IsInt({ each: true }),
  Min(0, { each: true }),
];
const apply =
  (...ds: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const d of ds) d(target, key);
  };

class ThresholdCountsDto {
  @IsArray() @ArrayMaxSize(GRID_MAX) @FiniteEach() thresholds!: number[];
  @apply(...IntCounts(GRID_MAX)) tp!: number[];
  @apply(...IntCounts(GRID_MAX)) fp!: number[];
}

class ScoreHistogramsDto {
  @IsInt() @Min(1) @Max(BINS_MAX) bins!: number;
  @apply(...IntCounts(BINS_MAX + 1)) edges!: number[];
  @apply(...IntCounts(BINS_MAX)) positive!: number[];
  @apply(...IntCounts(BINS_MAX)) negative!: number[];
}

class PairedDto {
  @OrNull() @Finite() @Min(0) @Max(1) auc_b!: number | null;
  @OrNull() @Finite() @Min(0) delong_var_b!: number | null;
  @OrNull() @Finite() z!: number | null;
  @OrNull() @Finite() @Min(0) @Max(1) p!: number | null;
}

class YoudenDto {
  @OrNull() @Finite() @Min(0) @Max(1) threshold!: number | null;
  @Finite() @Min(0) @Max(1) sensitivity!: number;
  @Finite() @Min(0) @Max(1) specificity!: number;
  @Finite() @Min(-1) @Max(1) j!: number;
}

class CalibrationDto {
  @OrNull() @Finite() intercept!: number | null;
  @OrNull() @Finite() slope!: number | null;
  @OrNull() @Finite() intercept_joint!: number | null;
}

class DecisionCurveDto {
  @IsArray() @ArrayMaxSize(GRID_MAX) @FiniteEach() thresholds!: number[];
  @IsArray() @ArrayMaxSize(GRID_MAX) @FiniteEach() net_benefit!: number[];
  @IsArray() @ArrayMaxSize(GRID_MAX) @FiniteEach() treat_all!: number[];
  @OrNull()
  @ProbabilityInterval()
  range!: [number, number] | null;
  @IsArray() @ArrayMaxSize(GRID_MAX) @IsArray({ each: true }) runs!: [number, number][];
}

/**
 * Every field of a report typed and range-checked at the edge (AUC, probabilities and Brier in
 * [0, 1], counts non-negative integers, arrays no longer than the study's layout). What a DTO cannot
 * see — the exact grid and bins, counts that add up, n equal to the approved test size — the intake
 * checks (evaluation/site-report-check.ts).
 */
class SiteMetricsReportDto implements SiteMetricsReport {
  @IsInt() @Min(0) @Max(MAX_CASE_COUNT) n!: number;
  @IsInt() @Min(0) @Max(MAX_CASE_COUNT) n_pos!: number;
  @OrNull() @Finite() @Min(0) @Max(1) prevalence!: number | null;
  @OrNull() @Finite() @Min(0) @Max(1) auc!: number | null;
  @OrNull() @Finite() @Min(0) delong_var!: number | null;
  @OrNull()
  @ProbabilityInterval()
  auc_ci!: [number, number] | null;
  @OrNull() @ValidateNested() @Type(() => PairedDto) paired!: PairedDto | null;
  @OrNull() @ValidateNested() @Type(() => YoudenDto) youden!: YoudenDto | null;
  @OrNull() @Finite() @Min(0) @Max(1) brier!: number | null;
  @IsDefined() @ValidateNested() @Type(() => CalibrationDto) calibration!: CalibrationDto;
  @OrNull() @ValidateNested() @Type(() => DecisionCurveDto) dca!: DecisionCurveDto | null;
  @IsDefined() @ValidateNested() @Type(() => ThresholdCountsDto) threshold_counts!: ThresholdCountsDto;
  @IsDefined() @ValidateNested() @Type(() => ScoreHistogramsDto) score_histograms!: ScoreHistogramsDto;
}

export class MetricsReportDto {
  @IsUUID() study_id!: string;
  @IsInt() @Min(1) round!: number;
  @IsInt() @Min(0) model_version!: number;
  @Matches(SHA256, { message: 'model_sha256 must be 64 lowercase hex digits' }) model_sha256!: string;
  @IsDefined() @ValidateNested() @Type(() => SiteMetricsReportDto) report!: SiteMetricsReportDto;
  /** The report on the site's validation cases (studies with `validation_fraction` > 0). */
  @IsOptional() @ValidateNested() @Type(() => SiteMetricsReportDto) validation?: SiteMetricsReportDto;
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
