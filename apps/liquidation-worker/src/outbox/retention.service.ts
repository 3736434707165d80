import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  ACCOUNT_EVENT_RETENTION_BATCH_MAX,
  OUTBOX_RETENTION_BATCH_MAX,
  deleteDoneOutboxEvents,
  deleteExpiredAccountEvents,
} from '@novation/persistence';
import { DataSource } from 'typeorm';
import { MARGIN_PIPELINE_OPTIONS, type MarginPipelineOptions } from './margin-pipeline.options.js';
import { PeriodicTask } from './periodic-task.js';

/** Most batches one retention pass deletes of each kind: a backlog is worked off over several passes. */
const RETENTION_BATCHES_PER_PASS_MAX = 100;

export interface RetentionOutcome {
  readonly outboxEventsDeleted: number;
  readonly accountEventsDeleted: number;
}

/**
 * Keeps the pipeline's tables bounded: deletes done outbox events and old account events past their
 * retention (MARGIN_PIPELINE retention options, from OUTBOX_RETENTION_DAYS and ACCOUNT_EVENT_RETENTION_DAYS),
 * in bounded batches, once per retentionIntervalMs. Failed outbox events are kept for a person to look at.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MARGIN_PIPELINE_OPTIONS) private readonly options: MarginPipelineOptions,
  ) {
    this.task = new PeriodicTask('retention', options.retentionIntervalMs, () => this.runOnce(Date.now()), this.logger);
  }

  onApplicationBootstrap(): void {
    if (this.options.timersEnabled) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  async runOnce(nowEpochMs: number): Promise<RetentionOutcome> {
    const outboxEventsDeleted = await this.drain(
      () =>
        deleteDoneOutboxEvents(this.dataSource.manager, {
          nowEpochMs,
          retentionDays: this.options.outboxRetentionDays,
          batchSizeMax: OUTBOX_RETENTION_BATCH_MAX,
        }),
      OUTBOX_RETENTION_BATCH_MAX,
    );
    const accountEventsDeleted = await this.drain(
      () =>
        deleteExpiredAccountEvents(this.dataSource.manager, {
          nowEpochMs,
          retentionDays: this.options.accountEventRetentionDays,
          batchSizeMax: ACCOUNT_EVENT_RETENTION_BATCH_MAX,
        }),
      ACCOUNT_EVENT_RETENTION_BATCH_MAX,
    );
    if (outboxEventsDeleted + accountEventsDeleted > 0) {
      this.logger.log(`retention deleted ${outboxEventsDeleted} outbox and ${accountEventsDeleted} account events`);
    }
    return { outboxEventsDeleted, accountEventsDeleted };
  }

  private async drain(deleteBatch: () => Promise<number>, batchSize: number): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < RETENTION_BATCHES_PER_PASS_MAX; pass += 1) {
      const deleted = await deleteBatch();
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }
}
