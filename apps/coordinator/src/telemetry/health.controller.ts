import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { DatabaseHealth } from './database-health';

/** Unauthenticated liveness for load balancers and the Docker healthcheck: 200 only when the DB answers. */
@Controller('healthz')
export class HealthController {
  constructor(private readonly db: DatabaseHealth) {}

  @Get()
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.db.ping();
    } catch {
      throw new ServiceUnavailableException({ status: 'error', message: 'database did not answer' });
    }
    return { status: 'ok' };
  }
}
