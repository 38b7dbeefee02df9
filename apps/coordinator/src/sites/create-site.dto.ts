import {
  IsDefined,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

/** The most cases one count may say; the study's `robustness.max_site_cases` caps the weight further. */
export const MAX_CASE_COUNT = 2 ** 24;

export class CreateSiteDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  /** Approved training cases; give it with n_test, or neither (then approve later). */
  @ValidateIf((o: CreateSiteDto) => o.n_train !== undefined || o.n_test !== undefined)
  @IsDefined({ message: 'n_train and n_test go together: give both or neither' })
  @IsInt()
  @Min(0)
  @Max(MAX_CASE_COUNT)
  n_train?: number;

  @ValidateIf((o: CreateSiteDto) => o.n_train !== undefined || o.n_test !== undefined)
  @IsDefined({ message: 'n_train and n_test go together: give both or neither' })
  @IsInt()
  @Min(0)
  @Max(MAX_CASE_COUNT)
  n_test?: number;
}

/** `POST /api/sites/:id/cases`: the counts the lead approves for the site. */
export class ApproveCasesDto {
  @IsInt() @Min(0) @Max(MAX_CASE_COUNT) n_train!: number;
  @IsInt() @Min(0) @Max(MAX_CASE_COUNT) n_test!: number;
}
