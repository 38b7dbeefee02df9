import { BadRequestException, ValidationPipe, type Type } from '@nestjs/common';
import { SocketRefusal } from './socket-error';

/** Nest's ValidationPipe, the same one the REST controllers use, applied to socket payloads. */
const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

/**
 * Validates and transforms a socket payload into its DTO; a bad one becomes a `bad_request`
 * refusal whose message names the fields.
 *
 * @example
 * const hello = await validatePayload(HelloDto, raw);
 */
export async function validatePayload<T extends object>(dto: Type<T>, value: unknown): Promise<T> {
  if (value === null || typeof value !== 'object') {
    throw new SocketRefusal('bad_request', `payload must be an object (${dto.name.replace(/Dto$/, '')})`);
  }
  try {
    return (await pipe.transform(value, { type: 'body', metatype: dto })) as T;
  } catch (e) {
    if (e instanceof BadRequestException) {
      const body = e.getResponse() as { message?: string | string[] };
      const message = Array.isArray(body.message)
        ? body.message.join('; ')
        : String(body.message ?? e.message);
      throw new SocketRefusal('bad_request', message);
    }
    throw e;
  }
}
