import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { QueueName } from '@novation/jobs';
import { DailyBacktestProcessor, REPORT_SCHEDULES_ENABLED } from './daily-backtest.processor.js';

/** Scheduled risk reports: the daily backtest (its schedule lives in BullMQ, upserted at start). */
@Module({})
export class ReportsModule {
  static register(options: { readonly schedulesEnabled: boolean }): DynamicModule {
    return {
      module: ReportsModule,
      imports: [BullModule.registerQueue({ name: QueueName.Reports })],
      providers: [{ provide: REPORT_SCHEDULES_ENABLED, useValue: options.schedulesEnabled }, DailyBacktestProcessor],
      exports: [DailyBacktestProcessor],
    };
  }
}
