import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { SocketRefusal } from './socket-error';

/**
 * The options of Nest's ValidationPipe on the REST edge (`STUDY_VALIDATION` + transform), applied
 * to socket payloads with the same class-validator DTO machinery: unknown fields are refused.
 */
const OPTIONS = { whitelist: true, forbidNonWhitelisted: true } as const;

/** `a.b: message` for every failed constraint, nested DTOs included. */
function messages(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (prefix ? `${field}: ${m}` : m));
    return [...own, ...messages(e.children ?? [], field)];
  });
}

/**
 * Validates and transforms a socket payload into its DTO; a bad one becomes a `bad_request`
 * refusal whose message names the fields.
 *
 * @example
 * const hello = await validatePayload(HelloDto, raw); // throws SocketRefusal('bad_request', 'cores must …')
 */
export async function validatePayload<T extends object>(dto: new () => T, value: unknown): Promise<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SocketRefusal('bad_request', `payload must be an object (${dto.name.replace(/Dto$/, '')})`);
  }
  const instance = plainToInstance(dto, value);
  const errors = await validate(instance, OPTIONS);
  if (errors.length > 0) throw new SocketRefusal('bad_request', messages(errors).join('; '));
  return instance;
}
