import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Body of `POST /api/studies/:id/releases`. */
export class CreateReleaseDto {
  @IsInt()
  @Min(1)
  round!: number;

  /** Required when the round failed the release policy; kept in the release record. */
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  override_reason?: string;
}
