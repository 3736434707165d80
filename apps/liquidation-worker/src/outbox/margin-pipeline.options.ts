/** Timing and limits of the margin pipeline (outbox dispatcher, reconciler, sweep) and its liquidation jobs. */
export interface MarginPipelineOptions {
  /** Whether the periodic tasks run at all (tests drive them by hand). */
  readonly timersEnabled: boolean;
  /** Pause between two dispatches of pending outbox events (the safety net when wake-ups are on). */
  readonly dispatchIntervalMs: number;
  /**
   * Dispatch as soon as PostgreSQL announces new outbox events (LISTEN on `outbox_event`, sent at the
   * commit that recorded them) instead of waiting for the next interval: a price move reaches the queue
   * in milliseconds. Off only to measure polling alone.
   */
  readonly wakeOnNotify: boolean;
  /** Most outbox events one dispatch claims and enqueues. */
  readonly dispatchBatchSize: number;
  /** Pause between two reconciler passes. */
  readonly reconcileIntervalMs: number;
  /** An event enqueued longer ago than this, whose job is gone or gave up, is dispatched again. */
  readonly enqueuedTimeoutMs: number;
  /** Most stale events one reconciler pass examines. */
  readonly reconcileBatchSize: number;
  /** After this many dispatches an event whose job keeps vanishing or failing is marked failed. */
  readonly dispatchAttemptsMax: number;
  /** Pause between two full sweeps re-margining every member account with positions. */
  readonly sweepIntervalMs: number;
  /**
   * removeOnComplete of liquidation jobs: null keeps them a day (liquidationJobOptions); true removes them
   * at once, false keeps them all. Either way a second breach of the same account is a new job id.
   */
  readonly liquidationRemoveOnComplete: boolean | null;
  /** Pause between two retention passes (done outbox events, old account events). */
  readonly retentionIntervalMs: number;
  /** Done outbox events older than this are deleted (failed ones never: they wait for a person). */
  readonly outboxRetentionDays: number;
  /** Account events older than this are deleted. */
  readonly accountEventRetentionDays: number;
}

export const MARGIN_PIPELINE_OPTIONS = Symbol('MARGIN_PIPELINE_OPTIONS');

export const DEFAULT_MARGIN_PIPELINE_OPTIONS: MarginPipelineOptions = {
  timersEnabled: true,
  dispatchIntervalMs: 200,
  wakeOnNotify: true,
  dispatchBatchSize: 100,
  reconcileIntervalMs: 5_000,
  // Longer than a job's whole retry schedule would be wrong: a delayed (backing-off) job is still found in
  // Redis and left alone, so only vanished or finally failed jobs are re-dispatched.
  enqueuedTimeoutMs: 30_000,
  reconcileBatchSize: 100,
  dispatchAttemptsMax: 10,
  sweepIntervalMs: 5 * 60_000,
  liquidationRemoveOnComplete: null,
  retentionIntervalMs: 3_600_000,
  outboxRetentionDays: 30,
  accountEventRetentionDays: 90,
};

/** Defaults overridden by `overrides`, each value checked: a zero interval would spin. */
export function marginPipelineOptions(overrides: Partial<MarginPipelineOptions> = {}): MarginPipelineOptions {
  const options = { ...DEFAULT_MARGIN_PIPELINE_OPTIONS, ...overrides };
  const bounds: readonly [keyof MarginPipelineOptions, number, number][] = [
    ['dispatchIntervalMs', 10, 60_000],
    ['dispatchBatchSize', 1, 1_000],
    ['reconcileIntervalMs', 10, 3_600_000],
    ['enqueuedTimeoutMs', 1, 24 * 3_600_000],
    ['reconcileBatchSize', 1, 1_000],
    ['dispatchAttemptsMax', 1, 100],
    ['sweepIntervalMs', 1_000, 24 * 3_600_000],
    ['retentionIntervalMs', 1_000, 24 * 3_600_000],
    ['outboxRetentionDays', 1, 3_650],
    ['accountEventRetentionDays', 1, 3_650],
  ];
  if (typeof options.wakeOnNotify !== 'boolean') {
    throw new RangeError('margin pipeline option wakeOnNotify must be true or false');
  }
  if (![null, true, false].includes(options.liquidationRemoveOnComplete)) {
    throw new RangeError('margin pipeline option liquidationRemoveOnComplete must be null, true or false');
  }
  for (const [name, min, max] of bounds) {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`margin pipeline option ${name} must be an integer in [${min}, ${max}]`);
    }
  }
  return options;
}
