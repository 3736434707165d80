export { OutboxEventEntity } from './outbox-event.entity.js';
export type { OutboxEventKind, OutboxEventStatus } from './outbox-event.entity.js';
export {
  OUTBOX_RETENTION_BATCH_MAX,
  deleteDoneOutboxEvents,
  OUTBOX_CLAIM_BATCH_MAX,
  OutboxError,
  countOpenOutboxEvents,
  dispatchPendingOutboxEvents,
  listStaleEnqueuedOutboxEvents,
  markOutboxEventDone,
  markOutboxEventsEnqueued,
  markOutboxEventFailed,
  outboxEventsOfNotification,
  recordOutboxEvent,
  requeueOutboxEvent,
} from './outbox.js';
export type {
  ClaimedOutboxEvent,
  OutboxEventDraft,
  OutboxRejection,
  RecordedOutboxEvent,
  StaleOutboxEvent,
} from './outbox.js';
export {
  MARGIN_CHECK_EVENTS_PER_TRIGGER_MAX,
  MARGIN_CHECK_UNDERLYINGS_PER_TRIGGER_MAX,
  accountsInMarginCheckRange,
  publishMarketDataAndRecordChecks,
  recordMarginChecksForAllAccounts,
  recordMarginChecksForUnderlyings,
} from './margin-checks.js';
export type { MarginCheckTrigger, RecordedMarginChecks } from './margin-checks.js';
