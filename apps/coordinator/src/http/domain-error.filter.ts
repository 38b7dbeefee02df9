import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainError } from '../domain/domain-error';
import { errorBody } from './http-status';
import type { HttpResponse } from './http-types';

/** Turns a `DomainError` into `{ statusCode, error: code, message, details? }` with its mapped status. */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter<DomainError> {
  catch(error: DomainError, host: ArgumentsHost): void {
    const body = errorBody(error);
    const res = host.switchToHttp().getResponse<HttpResponse>();
    if (body.statusCode === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(body.statusCode).json(body);
  }
}
