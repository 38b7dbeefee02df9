import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../domain/domain-error';
import type { HttpRequest } from '../http/http-types';
import { AdminAuthService } from './admin-auth.service';
import { bearerToken } from './bearer';

/** Lets through only the lead's admin token; anything else is a 401. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly admin: AdminAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token || !(await this.admin.verify(token))) {
      throw new DomainError('UNAUTHENTICATED', 'send the admin token as "Authorization: Bearer <token>"');
    }
    req.principal = { kind: 'admin' };
    return true;
  }
}
