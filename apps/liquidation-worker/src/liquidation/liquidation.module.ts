import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '@novation/jobs';
import { MetricsModule } from '@novation/platform';
import { LiquidationProcessor } from './liquidation.processor.js';
import { LiquidationMetrics } from './liquidation.metrics.js';

/** Execution of recorded breaches: the liquidation processor (jobs come from the outbox dispatcher). */
@Module({
  imports: [MetricsModule, BullModule.registerQueue({ name: QueueName.Liquidation })],
  providers: [LiquidationMetrics, LiquidationProcessor],
})
export class LiquidationModule {}
