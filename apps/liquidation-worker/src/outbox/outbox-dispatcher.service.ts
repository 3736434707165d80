import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  LiquidationJobName,
  MarginJobName,
  QueueName,
  liquidationJobId,
  liquidationJobOptions,
  liquidationPayloadSchema,
  marginCheckJobOptions,
  marginCheckPayloadSchema,
  outboxJobId,
  type LiquidationJobData,
  type LiquidationJobResult,
  type MarginCheckJobData,
  type MarginCheckJobResult,
} from '@novation/jobs';
import {
  dispatchPendingOutboxEvents,
  listStaleEnqueuedOutboxEvents,
  markOutboxEventsEnqueued,
  outboxEventsOfNotification,
  requeueOutboxEvent,
  type ClaimedOutboxEvent,
  type OutboxRejection,
  type StaleOutboxEvent,
} from '@novation/persistence';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG, PostgresListener } from '@novation/platform';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { MARGIN_PIPELINE_OPTIONS, type MarginPipelineOptions } from './margin-pipeline.options.js';
import { PeriodicTask } from './periodic-task.js';

/**
 * Longest wait for Redis to accept a dispatch. The workers' connection retries forever
 * (maxRetriesPerRequest null), so without this bound a Redis outage would pin the dispatch task. On
 * timeout the claimed events go back to pending; if the add lands later anyway, the next dispatch of them
 * is deduplicated by job id.
 */
export const ENQUEUE_TIMEOUT_MS = 5_000;

export interface ReconcileOutcome {
  readonly examined: number;
  readonly requeued: number;
  readonly failed: number;
}

/**
 * Moves outbox events to BullMQ. Woken by the NOTIFY of the commit that recorded them, the dispatcher adds
 * the events the notification carries straight away (onWakeUp); otherwise, and at every poll, it claims
 * pending events in one statement. Either way one addBulk per queue and one job per event: a margin check
 * on the margin queue with the job id `outbox-<event id>`, a liquidation on the liquidation queue with the
 * job id `liq-<account>-<liquidation>` (it names the breach), so a repeated dispatch (an add that landed
 * after its timeout, a second worker woken by the same commit, a re-dispatch by the reconciler) is dropped
 * by BullMQ. The reconciler re-dispatches events whose job is not in Redis (a dispatcher that died between
 * claim and add, a flush, a failover) or gave up, so a recorded decision is never lost.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly dispatchTask: PeriodicTask;
  private readonly reconcileTask: PeriodicTask;
  private readonly wakeUps: PostgresListener | null;
  /** Dispatches of events taken from their wake-up, still running: awaited on shutdown. */
  private readonly notifiedDispatches = new Set<Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Margin) private readonly queue: Queue<MarginCheckJobData, MarginCheckJobResult>,
    @InjectQueue(QueueName.Liquidation)
    private readonly liquidationQueue: Queue<LiquidationJobData, LiquidationJobResult>,
    @Inject(MARGIN_PIPELINE_OPTIONS) private readonly options: MarginPipelineOptions,
    @Inject(NOVATION_CONFIG) config: NovationConfig,
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
    this.wakeUps =
      options.timersEnabled && options.wakeOnNotify
        ? new PostgresListener(
            { url: config.database.url, channel: 'outbox_event', applicationName: 'novation-outbox-wake-up' },
            {
              onNotification: (payload) => this.onWakeUp(payload),
              // Events recorded while the connection was down announced nothing: look now.
              onListening: () => this.dispatchTask.runSoon(),
              onLost: (reason) => this.logger.warn(`outbox wake-ups lost (${reason}); polling meanwhile`),
            },
          )
        : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.timersEnabled) return;
    this.dispatchTask.start();
    this.reconcileTask.start();
    // A first pass at boot, not one interval later: a worker that keeps being restarted before its first
    // interval (a crash loop) would otherwise never re-dispatch a lost or finally failed job, and the
    // decision behind it would stay open for as long as the loop lasts.
    this.reconcileTask.runSoon();
    // Resolves once listening, or after a first failure (then it retries in the background; polling
    // carries on meanwhile).
    await this.wakeUps?.start();
  }

  /** Stops the wake-ups and timers and waits for a run in progress, before BullMQ and the database close. */
  async onModuleDestroy(): Promise<void> {
    await this.wakeUps?.stop();
    await Promise.all([this.dispatchTask.stop(), this.reconcileTask.stop(), ...this.notifiedDispatches]);
  }

  /**
   * A commit recorded outbox events. When the notification carries them (migration
   * 1795830000000-OutboxEventsInWakeUp), their jobs are added at once, without reading them back, and the
   * events are marked enqueued afterwards: the tick-to-enqueue path. Otherwise (too many to carry) the
   * pending events are claimed. Every worker hears the notification and adds the same jobs: BullMQ keeps
   * the first of each job id and drops the others, at the cost of one script run each.
   */
  private onWakeUp(payload: string): void {
    const events = outboxEventsOfNotification(payload);
    if (events === null) {
      this.dispatchTask.runSoon();
      return;
    }
    const dispatch: Promise<void> = this.dispatchNotified(events)
      .catch((error: unknown) => {
        // The events are still pending: the claim takes them now, and again at every poll until it works.
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(`outbox events not dispatched from their wake-up (${reason}); claiming them`);
        this.dispatchTask.runSoon();
      })
      .finally(() => this.notifiedDispatches.delete(dispatch));
    this.notifiedDispatches.add(dispatch);
  }

  /** Adds the jobs of events announced by their wake-up, then marks the events enqueued. */
  private async dispatchNotified(events: readonly ClaimedOutboxEvent[]): Promise<void> {
    const rejections = await this.enqueue(events);
    // A rejected event is left pending for the claim, which marks it failed with its reason.
    if (rejections.length > 0) this.dispatchTask.runSoon();
    const rejected = new Set(rejections.map((rejection) => rejection.id));
    const added = events.filter((event) => !rejected.has(event.id)).map((event) => event.id);
    await markOutboxEventsEnqueued(this.dataSource, added, Date.now());
  }

  /** One dispatch: claims up to dispatchBatchSize pending events and enqueues them. Returns how many. */
  async dispatchOnce(): Promise<number> {
    const claimed = await dispatchPendingOutboxEvents(
      this.dataSource,
      { limit: this.options.dispatchBatchSize, nowEpochMs: Date.now() },
      (events) => this.enqueue(events),
    );
    // A full batch means more may be waiting: go again at once rather than after the interval.
    if (claimed.length === this.options.dispatchBatchSize) this.dispatchTask.runSoon();
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
      // The last dispatch's failed job is kept: the admin service lists it with the failed jobs.
      const reason = await this.lostJobReason(event, event.attempts >= this.options.dispatchAttemptsMax);
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
   * So is a job in no state at all: its hash outlived the lists that held it (keys lost to a flush or a
   * failover while the job was added or moved), nothing will ever run it, and BullMQ would drop every
   * re-dispatch under its id as a duplicate until the event failed for good. On the event's final dispatch
   * a failed job is kept (nothing re-dispatches under its id). If it is still locked (a
   * worker runs it without its list), it is left for a later pass, once the lock has expired.
   */
  private async lostJobReason(event: StaleOutboxEvent, finalDispatch: boolean): Promise<string | undefined> {
    const job = await this.jobOf(event);
    if (job === undefined) return 'job not found in Redis';
    const state = await job.getState();
    let reason: string | undefined;
    if (state === 'failed') reason = `job failed: ${job.failedReason}`;
    else if (state === 'completed') reason = 'job completed without marking the event done';
    else if (state === 'unknown') reason = 'job in no state (orphaned hash)';
    if (reason === undefined) return undefined;
    // Not dispatched again: a failed job stays in Redis's failed set as the record of the failure.
    if (finalDispatch && state === 'failed') return reason;
    try {
      await job.remove();
    } catch (error) {
      if (state !== 'unknown') throw error;
      this.logger.warn(`orphaned job ${job.id} of outbox event ${event.id} is still locked; retried next pass`);
      return undefined;
    }
    return reason;
  }

  /** The job an event was enqueued as: by kind, on its queue, under its job id. */
  private async jobOf(event: StaleOutboxEvent) {
    switch (event.kind) {
      case 'margin-check':
        return this.queue.getJob(outboxJobId(event.id));
      case 'liquidation': {
        // The job id names the breach, so it is rebuilt from the stored payload.
        const [row] = (await this.dataSource.query(`SELECT payload FROM outbox_event WHERE id = $1`, [event.id])) as {
          payload: unknown;
        }[];
        const payload = liquidationPayloadSchema.safeParse(row?.payload);
        if (!payload.success) return undefined;
        return this.liquidationQueue.getJob(liquidationJobId(payload.data.accountId, payload.data.liquidationId));
      }
    }
  }

  private async enqueue(events: readonly ClaimedOutboxEvent[]): Promise<readonly OutboxRejection[]> {
    const rejections: OutboxRejection[] = [];
    const jobs: { name: MarginJobName; data: MarginCheckJobData; opts: ReturnType<typeof marginCheckJobOptions> }[] =
      [];
    const liquidationJobs: {
      name: LiquidationJobName;
      data: LiquidationJobData;
      opts: ReturnType<typeof liquidationJobOptions>;
    }[] = [];
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
        case 'liquidation': {
          const payload = liquidationPayloadSchema.safeParse(event.payload);
          if (!payload.success) {
            rejections.push({ id: event.id, reason: `invalid liquidation payload: ${payload.error.message}` });
            break;
          }
          const removeOnComplete = this.options.liquidationRemoveOnComplete;
          liquidationJobs.push({
            name: LiquidationJobName.Execute,
            data: { outboxEventId: event.id, ...payload.data },
            opts: liquidationJobOptions(payload.data, removeOnComplete === null ? {} : { removeOnComplete }),
          });
          break;
        }
      }
    }
    if (jobs.length > 0) await withTimeout(this.queue.addBulk(jobs), ENQUEUE_TIMEOUT_MS, 'adding margin-check jobs');
    if (liquidationJobs.length > 0) {
      await withTimeout(this.liquidationQueue.addBulk(liquidationJobs), ENQUEUE_TIMEOUT_MS, 'adding liquidation jobs');
    }
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
