import type { StoredAccountEvent } from '@novation/persistence';
import { accountEventCursor, liveResumePosition, toAccountEventModel } from './account-event.mapper.js';
import { authorizationOf } from './subscription-connection.js';

const ACCOUNT = '11111111-1111-4111-8111-111111111111';
const AT = new Date('2026-11-25T12:00:00.000Z');

function stored(kind: StoredAccountEvent['kind'], payload: Record<string, unknown>): StoredAccountEvent {
  return {
    id: '42',
    xactId: '9001',
    horizon: '8990',
    accountId: ACCOUNT,
    memberFirmId: null,
    kind,
    dedupeKey: 'k',
    payload,
    createdAt: AT,
  };
}

describe('toAccountEventModel', () => {
  it('types a margin state change and lists every entry as details', () => {
    const payload = {
      fromState: 'healthy',
      toState: 'margin_call',
      marginAsset: 'USDC',
      equity: '9500',
      initialMargin: '9950',
      maintenanceMargin: '4975',
      receiptId: '7',
    };
    expect(toAccountEventModel(stored('margin-state-changed', payload))).toEqual({
      id: '42',
      // In a catch-up page the cursor is the event's own place: (transaction id, event id).
      cursor: accountEventCursor({ xactId: '9001', id: '42' }),
      accountId: ACCOUNT,
      occurredAt: AT,
      kind: 'margin-state-changed',
      ...payload,
      details: Object.entries(payload).map(([name, value]) => ({ name, value })),
    });
  });

  it('gives a pushed event its live resume point: its horizon, before any event of that transaction', () => {
    const pushed = toAccountEventModel(
      stored('margin-state-changed', {
        fromState: 'healthy',
        toState: 'margin_call',
        marginAsset: 'USDC',
        equity: '9500',
        initialMargin: '9950',
        maintenanceMargin: '4975',
        receiptId: '7',
      }),
      liveResumePosition,
    );
    expect(pushed.cursor).toBe(accountEventCursor({ xactId: '8990', id: '0' }));
  });

  it('parses the times of margin calls and the liquidation figures, and keeps every entry as text', () => {
    const opened = toAccountEventModel(
      stored('margin-call-opened', {
        marginCallId: 'c1',
        shortfall: '450',
        asset: 'USDC',
        deadlineAt: '2026-11-26T12:00:00.000Z',
        receiptId: '7',
      }),
    );
    expect(opened).toMatchObject({ deadlineAt: new Date('2026-11-26T12:00:00.000Z'), shortfall: '450' });
    const resolved = toAccountEventModel(
      stored('margin-call-resolved', { marginCallId: 'c1', status: 'met', resolvedAt: null }),
    );
    expect(resolved).toMatchObject({ status: 'met', resolvedAt: null });
    // The payloads execute-liquidation-step.ts records.
    const step = toAccountEventModel(
      stored('liquidation-step', {
        liquidationId: 'l1',
        stepNumber: 3,
        receiptId: '12',
        penalty: '246.25',
        closes: [{ instrumentId: 'i1', quantity: '2.5' }],
      }),
    );
    expect(step).toMatchObject({
      liquidationId: 'l1',
      stepNumber: 3,
      receiptId: '12',
      penalty: '246.25',
      details: [
        { name: 'liquidationId', value: 'l1' },
        { name: 'stepNumber', value: '3' },
        { name: 'receiptId', value: '12' },
        { name: 'penalty', value: '246.25' },
        { name: 'closes', value: '[{"instrumentId":"i1","quantity":"2.5"}]' },
      ],
    });
    const completed = toAccountEventModel(
      stored('liquidation-completed', {
        liquidationId: 'l1',
        steps: 5,
        deficit: '1992.5',
        uncovered: '0',
        marginState: 'healthy',
      }),
    );
    expect(completed).toMatchObject({ steps: 5, deficit: '1992.5', uncovered: '0', marginState: 'healthy' });
    expect(() => toAccountEventModel(stored('liquidation-completed', { steps: 1.5 }))).toThrow('steps');
    expect(toAccountEventModel(stored('liquidation-started', { marginCallId: null }))).toMatchObject({
      liquidationId: null,
      expiredMarginCallId: null,
      triggerReceiptId: null,
    });
  });

  it('refuses a payload its kind cannot show (a bug, not input)', () => {
    expect(() => toAccountEventModel(stored('margin-state-changed', { fromState: 'healthy' }))).toThrow('toState');
    expect(() =>
      toAccountEventModel(stored('margin-call-resolved', { marginCallId: 'c1', status: 'lost', resolvedAt: null })),
    ).toThrow('status');
  });
});

describe('authorizationOf (connection_init payload)', () => {
  it('reads authorization, Authorization or headers.authorization, and nothing else', () => {
    expect(authorizationOf({ authorization: 'Bearer a' })).toBe('Bearer a');
    expect(authorizationOf({ Authorization: 'Bearer b' })).toBe('Bearer b');
    expect(authorizationOf({ headers: { authorization: 'Bearer c' } })).toBe('Bearer c');
    expect(authorizationOf({ authorization: 42 })).toBeNull();
    expect(authorizationOf(null)).toBeNull();
    expect(authorizationOf('Bearer d')).toBeNull();
  });
});
