import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { DomainError } from '../domain/domain-error';
import { STUDY_VALIDATION } from '../studies/validate-study-spec';

/** `a.b: message` for every failed constraint, nested DTOs included. */
function messages(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (prefix ? `${field}: ${m}` : m));
    return [...own, ...messages(e.children ?? [], field)];
  });
}

/**
 * Validates and transforms a socket payload into its DTO with the REST edge's ValidationPipe options
 * (`STUDY_VALIDATION`: unknown fields are refused); a bad one becomes `DomainError('INVALID_INPUT')`
 * whose message names every bad field, which the socket exception filter acks as `bad_request`.
 * Pure (class-validator only), so it is tested without Nest; `SocketValidationPipe` applies it.
 *
 * @example
 * const hello = await validatePayload(HelloDto, raw); // throws DomainError('INVALID_INPUT', 'cores must …')
 */
export async function validatePayload<T extends object>(dto: new () => T, value: unknown): Promise<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DomainError('INVALID_INPUT', `payload must be an object (${dto.name.replace(/Dto$/, '')})`);
  }
  const instance = plainToInstance(dto, value);
  const errors = await validate(instance, STUDY_VALIDATION);
  if (errors.length > 0) throw new DomainError('INVALID_INPUT', messages(errors).join('; '));
  return instance;
}
