import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainError } from '../domain/domain-error';
import { httpStatusFor } from './http-status';
import type { HttpResponse } from './http-types';

/** Turns a `DomainError` into `{ statusCode, error: code, message, details? }` with its mapped status. */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter<DomainError> {
  catch(error: DomainError, host: ArgumentsHost): void {
    const status = httpStatusFor(error.code);
    const body = {
      statusCode: status,
      error: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    };
    const res = host.switchToHttp().getResponse<HttpResponse>();
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(status).json(body);
  }
}
