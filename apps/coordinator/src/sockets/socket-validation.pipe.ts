import { ValidationPipe, type ArgumentMetadata, type Type } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
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
 * Nest's ValidationPipe with the REST edge's options (`STUDY_VALIDATION` + transform: unknown
 * fields are refused), for socket payloads: a bad one becomes `DomainError('INVALID_INPUT')` whose
 * message names every bad field, which the socket exception filter acks as `bad_request`.
 *
 * @example
 * @UsePipes(SocketValidationPipe) // on a gateway; `@MessageBody() hello: HelloDto` is then checked
 */
export class SocketValidationPipe extends ValidationPipe {
  constructor() {
    super({
      ...STUDY_VALIDATION,
      transform: true,
      exceptionFactory: (errors) => new DomainError('INVALID_INPUT', messages(errors).join('; ')),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = metadata.metatype;
    if (
      dto &&
      this.toValidate(metadata) &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new DomainError('INVALID_INPUT', `payload must be an object (${dto.name.replace(/Dto$/, '')})`);
    }
    return super.transform(value, metadata);
  }
}

/**
 * The pipe applied outside a gateway: validates and transforms `value` into `dto`.
 *
 * @example
 * const hello = await validatePayload(HelloDto, raw); // throws DomainError('INVALID_INPUT', 'cores must …')
 */
export async function validatePayload<T extends object>(dto: Type<T>, value: unknown): Promise<T> {
  return (await new SocketValidationPipe().transform(value, { type: 'body', metatype: dto })) as T;
}
