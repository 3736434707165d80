import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  MarginJobName,
  QueueName,
  marginCheckJobOptions,
  marginCheckPayloadSchema,
  outboxJobId,
  type MarginCheckJobData,
  type MarginCheckJobResult,
} from '@novation/jobs';
import {
  dispatchPendingOutboxEvents,
  listStaleEnqueuedOutboxEvents,
  requeueOutboxEvent,
  type ClaimedOutboxEvent,
  type OutboxRejection,
} from '@novation/persistence';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { MARGIN_PIPELINE_OPTIONS, type MarginPipelineOptions } from './margin-pipeline.options.js';
import { PeriodicTask } from './periodic-task.js';

/**
 * Longest wait for Redis to accept a dispatch. The claimed rows stay locked meanwhile, and the workers'
 * connection retries forever (maxRetriesPerRequest null), so without this bound a Redis outage would pin
 * the transaction. On timeout the transaction rolls back; if the add lands later anyway, the next dispatch
 * of the still-pending events is deduplicated by job id.
 */
export const ENQUEUE_TIMEOUT_MS = 5_000;

export interface ReconcileOutcome {
  readonly examined: number;
  readonly requeued: number;
  readonly failed: number;
}

/**
 * Moves outbox events to BullMQ. The dispatcher claims pending events and adds one job each, with the job
 * id `outbox-<event id>`: a dispatch repeated after a crash (job added, commit lost) is dropped by BullMQ.
 * The reconciler re-dispatches events whose job is no longer in Redis (flush, failover) or gave up, so a
 * recorded decision is never lost to Redis.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly dispatchTask: PeriodicTask;
  private readonly reconcileTask: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Margin) private readonly queue: Queue<MarginCheckJobData, MarginCheckJobResult>,
    @Inject(MARGIN_PIPELINE_OPTIONS) private readonly options: MarginPipelineOptions,
  ) {
    this.dispatchTask = new PeriodicTask(
      'outbox dispatch',
      options.dispatchIntervalMs,
      () => this.dispatchOnce(),
      this.logger,
    );
    this.reconcileTask = new PeriodicTask(
      'outbox reconcile',
      options.reconcileIntervalMs,
      () => this.reconcileOnce(Date.now()),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.options.timersEnabled) return;
    this.dispatchTask.start();
    this.reconcileTask.start();
  }

  /** Stops the timers and waits for a run in progress, before BullMQ and the database close. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.dispatchTask.stop(), this.reconcileTask.stop()]);
  }

  /** One dispatch: claims up to dispatchBatchSize pending events and enqueues them. Returns how many. */
  async dispatchOnce(): Promise<number> {
    const claimed = await dispatchPendingOutboxEvents(
      this.dataSource,
      { limit: this.options.dispatchBatchSize, nowEpochMs: Date.now() },
      (events) => this.enqueue(events),
    );
    return claimed.length;
  }

  /** One reconciler pass over events enqueued before `nowEpochMs - enqueuedTimeoutMs`. */
  async reconcileOnce(nowEpochMs: number): Promise<ReconcileOutcome> {
    const stale = await listStaleEnqueuedOutboxEvents(this.dataSource.manager, {
      enqueuedBeforeEpochMs: Math.max(0, nowEpochMs - this.options.enqueuedTimeoutMs),
      limit: this.options.reconcileBatchSize,
    });
    let requeued = 0;
    let failed = 0;
    for (const event of stale) {
      const reason = await this.lostJobReason(event.id);
      if (reason === undefined) continue;
      const status = await requeueOutboxEvent(this.dataSource.manager, event.id, {
        reason,
        dispatchAttemptsMax: this.options.dispatchAttemptsMax,
      });
      if (status === 'pending') requeued += 1;
      if (status === 'failed') {
        failed += 1;
        this.logger.error(`outbox event ${event.id} failed after ${event.attempts} dispatches: ${reason}`);
      }
    }
    return { examined: stale.length, requeued, failed };
  }

  /**
   * Why the event's job will never mark it done, or undefined while the job is still waiting, delayed or
   * active. A failed or completed job is removed, so the re-dispatch under the same id is not deduplicated.
   */
  private async lostJobReason(eventId: string): Promise<string | undefined> {
    const job = await this.queue.getJob(outboxJobId(eventId));
    if (job === undefined) return 'job not found in Redis';
    const state = await job.getState();
    let reason: string | undefined;
    if (state === 'failed') reason = `job failed: ${job.failedReason}`;
    else if (state === 'completed') reason = 'job completed without marking the event done';
    else if (state === 'unknown') reason = 'job state unknown';
    if (reason !== undefined && state !== 'unknown') await job.remove();
    return reason;
  }

  private async enqueue(events: readonly ClaimedOutboxEvent[]): Promise<readonly OutboxRejection[]> {
    const rejections: OutboxRejection[] = [];
    const jobs: { name: MarginJobName; data: MarginCheckJobData; opts: ReturnType<typeof marginCheckJobOptions> }[] =
      [];
    for (const event of events) {
      switch (event.kind) {
        case 'margin-check': {
          const payload = marginCheckPayloadSchema.safeParse(event.payload);
          if (!payload.success) {
            rejections.push({ id: event.id, reason: `invalid margin-check payload: ${payload.error.message}` });
            break;
          }
          jobs.push({
            name: MarginJobName.CheckAccounts,
            data: { outboxEventId: event.id, ...payload.data },
            opts: marginCheckJobOptions(event.id),
          });
          break;
        }
      }
    }
    if (jobs.length > 0) await withTimeout(this.queue.addBulk(jobs), ENQUEUE_TIMEOUT_MS, 'adding margin-check jobs');
    return rejections;
  }
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
