import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { recordMarginChecksForAllAccounts, type RecordedMarginChecks } from '@novation/persistence';
import { DataSource } from 'typeorm';
import { MARGIN_PIPELINE_OPTIONS, type MarginPipelineOptions } from '../outbox/margin-pipeline.options.js';
import { PeriodicTask } from '../outbox/periodic-task.js';

/**
 * The safety net: every sweepIntervalMs, records margin checks for every member account with positions.
 * The trigger id names the interval (`sweep-<interval number>`), so several worker replicas record each
 * sweep once between them.
 */
@Injectable()
export class MarginSweepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MarginSweepService.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MARGIN_PIPELINE_OPTIONS) private readonly options: MarginPipelineOptions,
  ) {
    this.task = new PeriodicTask(
      'margin sweep',
      options.sweepIntervalMs,
      () => this.sweepOnce(Date.now()),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    if (this.options.timersEnabled) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** Records the sweep of the interval containing `nowEpochMs` (a no-op if recorded already). */
  async sweepOnce(nowEpochMs: number): Promise<RecordedMarginChecks> {
    const interval = Math.floor(nowEpochMs / this.options.sweepIntervalMs);
    return this.dataSource.transaction('READ COMMITTED', (manager) =>
      recordMarginChecksForAllAccounts(manager, { triggerId: `sweep-${interval}`, nowEpochMs }),
    );
  }
}
