import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { CoordinatorMetrics } from './coordinator-metrics';

/** `GET /metrics` for Prometheus. Who may call: anyone who reaches the port (counts only, no ids). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: CoordinatorMetrics) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}
