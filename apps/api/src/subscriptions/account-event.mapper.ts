import type { AccountEventPosition, StoredAccountEvent } from '@novation/persistence';
import type { AccountMarginStateValue } from '../accounts/models/account.model.js';
import type { MarginCallStatusValue } from '../accounts/models/margin-call.model.js';
import { encodeCursor } from '../common/pagination/cursor.js';
import {
  AccountEventKindValue,
  type AnyAccountEvent,
  type AccountEventDetail,
  type LiquidationCompletedEvent,
  type LiquidationStartedEvent,
  type LiquidationStepEvent,
  type MarginCallOpenedEvent,
  type MarginCallResolvedEvent,
  type MarginStateChangedEvent,
} from './models/account-event.model.js';

/**
 * The cursor kind of the `accountEvents` list; the key is a catch-up position `<transaction id>.<event id>`
 * (AccountEventPosition; event id 0 for a live event's resume point).
 */
export const ACCOUNT_EVENT_CURSOR_KIND = 'account-event';
export const ACCOUNT_EVENT_ID = /^[1-9][0-9]{0,18}$/;
export const ACCOUNT_EVENT_POSITION = /^(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,18})$/;

const MARGIN_STATES: readonly string[] = ['healthy', 'margin_call', 'liquidating'];
const MARGIN_CALL_STATUSES: readonly string[] = ['open', 'met', 'liquidated', 'cancelled'];

export function accountEventCursor(position: AccountEventPosition): string {
  return encodeCursor(ACCOUNT_EVENT_CURSOR_KIND, `${position.xactId}.${position.id}`);
}

/** A cursor's key (validated by ACCOUNT_EVENT_POSITION) as a position. */
export function accountEventPosition(key: string): AccountEventPosition {
  const [xactId = '0', id = '0'] = key.split('.');
  return { xactId, id };
}

/** An event's own place in catch-up order: what a page of the `accountEvents` query continues after. */
export const positionOf = (event: StoredAccountEvent): AccountEventPosition => ({ xactId: event.xactId, id: event.id });

/**
 * Where a subscriber that received this event live resumes: everything of a transaction below its horizon
 * committed before it, so reached the subscriber first; resuming there may repeat a few events already
 * received (same ids), never skip one.
 */
export const liveResumePosition = (event: StoredAccountEvent): AccountEventPosition => ({
  xactId: event.horizon,
  id: '0',
});

/**
 * The GraphQL object of a stored event: typed fields from its payload, and every entry as `details`; its
 * `cursor` is `resumeAt` (the event's own position in a catch-up page, its live resume point when pushed).
 */
export function toAccountEventModel(
  event: StoredAccountEvent,
  resumeAt: (event: StoredAccountEvent) => AccountEventPosition = positionOf,
): AnyAccountEvent {
  const base = {
    id: event.id,
    cursor: accountEventCursor(resumeAt(event)),
    accountId: event.accountId,
    occurredAt: event.createdAt,
    details: detailsOf(event.payload),
  };
  const payload = event.payload;
  switch (event.kind) {
    case 'margin-state-changed':
      return {
        ...base,
        kind: AccountEventKindValue.MARGIN_STATE_CHANGED,
        fromState: oneOf(payload, 'fromState', MARGIN_STATES) as `${AccountMarginStateValue}`,
        toState: oneOf(payload, 'toState', MARGIN_STATES) as `${AccountMarginStateValue}`,
        marginAsset: required(payload, 'marginAsset'),
        equity: required(payload, 'equity'),
        initialMargin: required(payload, 'initialMargin'),
        maintenanceMargin: required(payload, 'maintenanceMargin'),
        receiptId: required(payload, 'receiptId'),
      } satisfies MarginStateChangedEvent;
    case 'margin-call-opened':
      return {
        ...base,
        kind: AccountEventKindValue.MARGIN_CALL_OPENED,
        marginCallId: required(payload, 'marginCallId'),
        shortfall: required(payload, 'shortfall'),
        asset: required(payload, 'asset'),
        deadlineAt: new Date(required(payload, 'deadlineAt')),
        receiptId: required(payload, 'receiptId'),
      } satisfies MarginCallOpenedEvent;
    case 'margin-call-resolved': {
      const resolvedAt = optional(payload, 'resolvedAt');
      return {
        ...base,
        kind: AccountEventKindValue.MARGIN_CALL_RESOLVED,
        marginCallId: required(payload, 'marginCallId'),
        status: oneOf(payload, 'status', MARGIN_CALL_STATUSES) as `${MarginCallStatusValue}`,
        resolvedAt: resolvedAt === null ? null : new Date(resolvedAt),
      } satisfies MarginCallResolvedEvent;
    }
    case 'liquidation-started':
      return {
        ...base,
        kind: AccountEventKindValue.LIQUIDATION_STARTED,
        liquidationId: optional(payload, 'liquidationId'),
        expiredMarginCallId: optional(payload, 'marginCallId'),
        triggerReceiptId: optional(payload, 'triggerReceiptId'),
      } satisfies LiquidationStartedEvent;
    case 'liquidation-step':
      return {
        ...base,
        kind: AccountEventKindValue.LIQUIDATION_STEP,
        liquidationId: optional(payload, 'liquidationId'),
        stepNumber: count(payload, 'stepNumber'),
        receiptId: required(payload, 'receiptId'),
        penalty: required(payload, 'penalty'),
      } satisfies LiquidationStepEvent;
    case 'liquidation-completed':
      return {
        ...base,
        kind: AccountEventKindValue.LIQUIDATION_COMPLETED,
        liquidationId: optional(payload, 'liquidationId'),
        steps: count(payload, 'steps'),
        deficit: required(payload, 'deficit'),
        uncovered: required(payload, 'uncovered'),
        marginState: oneOf(payload, 'marginState', MARGIN_STATES) as `${AccountMarginStateValue}`,
      } satisfies LiquidationCompletedEvent;
  }
}

function detailsOf(payload: Readonly<Record<string, unknown>>): AccountEventDetail[] {
  return Object.entries(payload).map(([name, value]) => ({
    name,
    value: value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value),
  }));
}

/** A field every event of the kind carries (written by this code base): its absence is a bug, not input. */
function required(payload: Readonly<Record<string, unknown>>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string') throw new Error(`account event payload lacks the string ${name}`);
  return value;
}

function optional(payload: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = payload[name];
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

/** A step count: a non-negative safe integer (the one kind of number an event payload may carry). */
function count(payload: Readonly<Record<string, unknown>>, name: string): number {
  const value = payload[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`account event payload lacks the count ${name}`);
  }
  return value;
}

function oneOf(payload: Readonly<Record<string, unknown>>, name: string, allowed: readonly string[]): string {
  const value = required(payload, name);
  if (!allowed.includes(value)) throw new Error(`account event payload ${name} is ${JSON.stringify(value)}`);
  return value;
}
