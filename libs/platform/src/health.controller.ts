import { Controller, Get } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult } from '@nestjs/terminus';
import { ReadinessService } from './health.service.js';

/**
 * Liveness says the process runs (restart it if not); readiness says it can serve (route traffic to it
 * only then). Kept apart so a PostgreSQL outage does not make an orchestrator restart every replica.
 */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.readiness.check();
  }
}
