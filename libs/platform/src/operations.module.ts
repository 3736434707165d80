import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { ReadinessService } from './health.service.js';
import { MetricsModule } from './metrics.js';

/** Liveness, readiness and /metrics: the same operations surface in every service. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), MetricsModule],
  controllers: [HealthController],
  providers: [ReadinessService],
  exports: [ReadinessService, MetricsModule],
})
export class OperationsModule {}
