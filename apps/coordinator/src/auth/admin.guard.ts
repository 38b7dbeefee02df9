import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../http/http-types';
import { bearerToken } from './bearer';
import { BearerAuth, originOf } from './bearer-auth';

/** Lets through only the lead's admin token; anything else is a 401 (429 past the failed-auth limit). */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly bearer: BearerAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    req.principal = await this.bearer.authenticate(
      bearerToken(req.headers.authorization),
      originOf(req),
      'admin',
      'send the admin token as "Authorization: Bearer <token>"',
    );
    return true;
  }
}
