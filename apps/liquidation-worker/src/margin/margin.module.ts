import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { QueueName } from '@novation/jobs';
import { MetricsModule } from '@novation/platform';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service.js';
import {
  MARGIN_PIPELINE_OPTIONS,
  marginPipelineOptions,
  type MarginPipelineOptions,
} from '../outbox/margin-pipeline.options.js';
import { RetentionService } from '../outbox/retention.service.js';
import { MarginCheckProcessor } from './margin-check.processor.js';
import { MarginSweepService } from './margin-sweep.service.js';
import { MarginMetrics } from './margin.metrics.js';

/** Re-margining after price moves: outbox dispatcher and reconciler, the margin-check processor, the sweep. */
@Module({})
export class MarginModule {
  static register(overrides: Partial<MarginPipelineOptions> = {}): DynamicModule {
    return {
      module: MarginModule,
      imports: [
        MetricsModule,
        BullModule.registerQueue({ name: QueueName.Margin }),
        // The outbox dispatcher also hands recorded breaches to the liquidation queue.
        BullModule.registerQueue({ name: QueueName.Liquidation }),
      ],
      providers: [
        { provide: MARGIN_PIPELINE_OPTIONS, useValue: marginPipelineOptions(overrides) },
        MarginMetrics,
        MarginCheckProcessor,
        OutboxDispatcher,
        MarginSweepService,
        RetentionService,
      ],
      exports: [OutboxDispatcher, MarginSweepService, RetentionService],
    };
  }
}
