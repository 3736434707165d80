export { ACCOUNT_EVENT_KINDS, AccountEventEntity } from './account-event.entity.js';
export {
  ACCOUNT_EVENT_CHANNEL,
  ACCOUNT_EVENT_PAGE_SIZE_MAX,
  ACCOUNT_EVENT_PAYLOAD_BYTES_MAX,
  ACCOUNT_EVENT_RETENTION_BATCH_MAX,
  AccountEventError,
  currentAccountEventPosition,
  deleteExpiredAccountEvents,
  latestAccountEventId,
  listAccountEvents,
  loadAccountEvent,
  loadAccountEvents,
  recordAccountEvent,
  recordAccountEvents,
} from './account-events.js';
export type {
  AccountEventDraft,
  AccountEventKind,
  AccountEventNotification,
  AccountEventPageQuery,
  AccountEventPosition,
  StoredAccountEvent,
} from './account-events.js';
export {
  recordMarginCallOpenedEvent,
  recordMarginCallResolvedEvent,
  recordMarginStateEvents,
} from './margin-events.js';
export type { MarginStateChange } from './margin-events.js';
