import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import type { NovationConfig } from '@novation/config';
import { QueueName } from '@novation/jobs';
import { PersistenceModule } from '@novation/persistence';
import {
  NOVATION_CONFIG,
  NovationConfigModule,
  OperationsModule,
  RedisModule,
  loggingModule,
} from '@novation/platform';
import { LiquidationModule } from './liquidation/liquidation.module.js';
import { MarginModule } from './margin/margin.module.js';
import { ReportsModule } from './reports/reports.module.js';
import type { MarginPipelineOptions } from './outbox/margin-pipeline.options.js';
import { SystemProcessor } from './system/system.processor.js';

export const WORKER_SERVICE_NAME = 'liquidation-worker';

@Module({})
export class WorkerModule {
  /** `marginPipeline` overrides the pipeline's timing (tests drive the dispatcher by hand). */
  static register(config: NovationConfig, marginPipeline: Partial<MarginPipelineOptions> = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        NovationConfigModule.forRoot(config),
        loggingModule(config, WORKER_SERVICE_NAME),
        RedisModule,
        PersistenceModule.forRoot(WORKER_SERVICE_NAME),
        OperationsModule,
        BullModule.forRootAsync({
          inject: [NOVATION_CONFIG],
          useFactory: (novationConfig: NovationConfig) => ({
            // Workers block on Redis; BullMQ requires maxRetriesPerRequest null on their connections.
            connection: { url: novationConfig.redis.url, maxRetriesPerRequest: null },
            prefix: novationConfig.redis.queuePrefix,
          }),
        }),
        BullModule.registerQueue({ name: QueueName.System }),
        // The environment's pipeline timing and retention (libs/config), then the caller's overrides (tests).
        MarginModule.register({
          dispatchIntervalMs: config.marginPipeline.dispatchIntervalMs,
          reconcileIntervalMs: config.marginPipeline.reconcileIntervalMs,
          sweepIntervalMs: config.marginPipeline.sweepIntervalMs,
          outboxRetentionDays: config.marginPipeline.outboxRetentionDays,
          accountEventRetentionDays: config.marginPipeline.accountEventRetentionDays,
          ...marginPipeline,
        }),
        LiquidationModule,
        ReportsModule.register({ schedulesEnabled: marginPipeline.timersEnabled ?? true }),
      ],
      providers: [SystemProcessor],
    };
  }
}
