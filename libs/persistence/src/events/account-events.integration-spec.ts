import { createTestDatabase, type TestDatabase } from '@novation/testing';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import {
  ACCOUNT_EVENT_CHANNEL,
  AccountEventError,
  deleteExpiredAccountEvents,
  latestAccountEventId,
  listAccountEvents,
  loadAccountEvent,
  loadAccountEvents,
  recordAccountEvent,
  recordAccountEvents,
  type AccountEventDraft,
  type AccountEventNotification,
} from './account-events.js';

describe('account events in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let listener: pg.Client;
  const notifications: AccountEventNotification[] = [];
  let waiters: (() => void)[] = [];
  let firmA: string;
  let firmB: string;
  let accountA1: string;
  let accountA2: string;
  let accountB: string;
  let houseAccount: string;

  const nextNotification = async (): Promise<AccountEventNotification> => {
    while (notifications.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    const first = notifications.shift();
    if (first === undefined) throw new Error('no notification');
    return first;
  };

  /**
   * Reads until `accept` holds (2 s at most): catch-up is conservative when a transaction of another
   * database ends in the instant between the snapshot and the look at pg_stat_activity, and other test files
   * write to their own databases on this server meanwhile.
   */
  async function settled<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
    let value = await read();
    for (let attempt = 0; attempt < 100 && !accept(value); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      value = await read();
    }
    return value;
  }

  const record = (draft: AccountEventDraft) =>
    dataSource.transaction('READ COMMITTED', (manager) => recordAccountEvent(manager, draft));

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await dataSource.query(
      `INSERT INTO asset (code, name, scale) VALUES ('USDC', 'USD Coin', 6) ON CONFLICT DO NOTHING`,
    );
    const firm = async (code: string) =>
      (
        (await dataSource.query(`INSERT INTO member_firm (code, name) VALUES ($1, $2) RETURNING id`, [code, code])) as {
          id: string;
        }[]
      )[0]?.id ?? '';
    const account = async (firmId: string | null, code: string, kind = 'cross', houseRole: string | null = null) =>
      (
        (await dataSource.query(
          `INSERT INTO account (member_firm_id, code, kind, house_role, settlement_asset)
         VALUES ($1, $2, $3, $4, 'USDC') RETURNING id`,
          [firmId, code, kind, houseRole],
        )) as { id: string }[]
      )[0]?.id ?? '';
    firmA = await firm('EVENTS-A');
    firmB = await firm('EVENTS-B');
    accountA1 = await account(firmA, 'a1');
    accountA2 = await account(firmA, 'a2');
    accountB = await account(firmB, 'b1');
    houseAccount = await account(null, 'events-house', 'house', 'insurance_fund');
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel !== ACCOUNT_EVENT_CHANNEL || message.payload === undefined) return;
      notifications.push(JSON.parse(message.payload) as AccountEventNotification);
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    });
    await listener.query(`LISTEN ${ACCOUNT_EVENT_CHANNEL}`);
  });

  afterAll(async () => {
    await listener?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  afterEach(async () => {
    await dataSource.query(`DELETE FROM account_event`);
    notifications.length = 0;
  });

  const stateChanged = (accountId: string, dedupeKey: string): AccountEventDraft => ({
    accountId,
    kind: 'margin-state-changed',
    dedupeKey,
    payload: { fromState: 'healthy', toState: 'margin_call', equity: '950.5', receiptId: '7' },
  });

  it('stores the event with the owning firm and announces it after commit', async () => {
    const recorded = await record(stateChanged(accountA1, 'test:one'));
    expect(recorded.created).toBe(true);
    expect(await nextNotification()).toEqual({
      id: recorded.id,
      memberFirmId: firmA,
      horizon: expect.stringMatching(/^[0-9]+$/),
    });
    const stored = await loadAccountEvent(dataSource.manager, recorded.id);
    expect(stored).toMatchObject({
      id: recorded.id,
      accountId: accountA1,
      memberFirmId: firmA,
      kind: 'margin-state-changed',
      dedupeKey: 'test:one',
      payload: { fromState: 'healthy', toState: 'margin_call', equity: '950.5', receiptId: '7' },
    });
  });

  it('records the same dedupe key once: the second call returns the first event and announces nothing', async () => {
    const first = await record(stateChanged(accountA1, 'test:twice'));
    const second = await record(stateChanged(accountA1, 'test:twice'));
    const marker = await record(stateChanged(accountA2, 'test:marker'));
    expect(second).toEqual({ id: first.id, created: false });
    // Notifications arrive in commit order: the marker directly after the first, nothing in between.
    expect(await nextNotification()).toEqual({
      id: first.id,
      memberFirmId: firmA,
      horizon: expect.stringMatching(/^[0-9]+$/),
    });
    expect(await nextNotification()).toEqual({
      id: marker.id,
      memberFirmId: firmA,
      horizon: expect.stringMatching(/^[0-9]+$/),
    });
    const [count] = (await dataSource.query(`SELECT count(*)::int AS count FROM account_event`)) as { count: number }[];
    expect(count?.count).toBe(2);
  });

  it('records and announces nothing when the transaction rolls back', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await recordAccountEvent(manager, stateChanged(accountA1, 'test:rolled-back'));
        throw new Error('the change fails after recording its event');
      }),
    ).rejects.toThrow('the change fails');
    const marker = await record(stateChanged(accountB, 'test:after-rollback'));
    // Had the rolled-back event been announced, its notification would have come first.
    expect(await nextNotification()).toEqual({
      id: marker.id,
      memberFirmId: firmB,
      horizon: expect.stringMatching(/^[0-9]+$/),
    });
    const rows = (await dataSource.query(`SELECT dedupe_key FROM account_event`)) as { dedupe_key: string }[];
    expect(rows).toEqual([{ dedupe_key: 'test:after-rollback' }]);
  });

  it('stores a house account event without announcing it (no firm subscribes to it)', async () => {
    const house = await record(stateChanged(houseAccount, 'test:house'));
    const marker = await record(stateChanged(accountA1, 'test:after-house'));
    expect(await nextNotification()).toEqual({
      id: marker.id,
      memberFirmId: firmA,
      horizon: expect.stringMatching(/^[0-9]+$/),
    });
    expect((await loadAccountEvent(dataSource.manager, house.id))?.memberFirmId).toBeNull();
  });

  it('refuses to run outside a transaction, and refuses bad drafts', async () => {
    await expect(recordAccountEvent(dataSource.manager, stateChanged(accountA1, 'test:no-tx'))).rejects.toThrow(
      AccountEventError,
    );
    await expect(record(stateChanged(accountA1, 'bad key with spaces'))).rejects.toThrow('invalid dedupe key');
    await expect(record(stateChanged('not-a-uuid', 'test:bad-account'))).rejects.toThrow('invalid account id');
    await expect(record(stateChanged('00000000-0000-4000-8000-000000000000', 'test:missing-account'))).rejects.toThrow(
      'not found',
    );
    await expect(record({ ...stateChanged(accountA1, 'test:float'), payload: { equity: 950.5 } })).rejects.toThrow(
      'send amounts as strings',
    );
    await expect(
      record({ ...stateChanged(accountA1, 'test:kind'), kind: 'nonsense' as AccountEventDraft['kind'] }),
    ).rejects.toThrow('invalid account event kind');
    await record(stateChanged(accountA1, 'test:shared'));
    await expect(record({ ...stateChanged(accountA1, 'test:shared'), kind: 'margin-call-opened' })).rejects.toThrow(
      'already names another account event',
    );
    await expect(record(stateChanged(accountA2, 'test:shared'))).rejects.toThrow('already names another');
    const [count] = (await dataSource.query(`SELECT count(*)::int AS count FROM account_event`)) as { count: number }[];
    expect(count?.count).toBe(1);
  });

  it('records many events in one statement, in the order given, each announced as one by one', async () => {
    const drafts = [
      stateChanged(accountB, 'test:many-1'),
      stateChanged(houseAccount, 'test:many-house'),
      stateChanged(accountA1, 'test:many-2'),
      stateChanged(accountA2, 'test:many-3'),
    ];
    await dataSource.transaction((manager) => recordAccountEvents(manager, drafts));
    const rows = (await dataSource.query(
      `SELECT id::text AS id, account_id, member_firm_id, dedupe_key FROM account_event ORDER BY id`,
    )) as { id: string; account_id: string; member_firm_id: string | null; dedupe_key: string }[];
    expect(rows.map((row) => row.dedupe_key)).toEqual(['test:many-1', 'test:many-house', 'test:many-2', 'test:many-3']);
    // The house account's event is stored, not announced; the others in id order.
    for (const row of rows.filter((candidate) => candidate.member_firm_id !== null)) {
      expect(await nextNotification()).toEqual({
        id: row.id,
        memberFirmId: row.member_firm_id,
        horizon: expect.stringMatching(/^[0-9]+$/),
      });
    }
    // A retried batch (same keys, same accounts and kinds) records nothing; a key naming another event is
    // refused and the transaction's events roll back with it.
    await dataSource.transaction((manager) =>
      recordAccountEvents(manager, [...drafts, stateChanged(accountB, 'test:many-4')]),
    );
    await expect(
      dataSource.transaction((manager) =>
        recordAccountEvents(manager, [stateChanged(accountB, 'test:many-5'), stateChanged(accountA2, 'test:many-1')]),
      ),
    ).rejects.toThrow('already names another account event');
    await expect(recordAccountEvents(dataSource.manager, [stateChanged(accountA1, 'test:many-no-tx')])).rejects.toThrow(
      'inside the transaction',
    );
    await expect(
      dataSource.transaction((manager) => recordAccountEvents(manager, [stateChanged(accountA1, 'bad key')])),
    ).rejects.toThrow('invalid dedupe key');
    const keys = (await dataSource.query(`SELECT dedupe_key FROM account_event ORDER BY id`)) as {
      dedupe_key: string;
    }[];
    expect(keys.map((row) => row.dedupe_key)).toEqual([
      'test:many-1',
      'test:many-house',
      'test:many-2',
      'test:many-3',
      'test:many-4',
    ]);
  });

  it('lists a firm its own events in catch-up order, by account, after a cursor, a page at a time', async () => {
    const a1First = await record(stateChanged(accountA1, 'test:list-1'));
    await record(stateChanged(accountB, 'test:list-2'));
    const a2 = await record(stateChanged(accountA2, 'test:list-3'));
    const a1Second = await record(stateChanged(accountA1, 'test:list-4'));
    const ids = async (query: Parameters<typeof listAccountEvents>[1]) =>
      (await listAccountEvents(dataSource.manager, query)).map((event) => event.id);
    const all = await settled(
      () => listAccountEvents(dataSource.manager, { memberFirmId: firmA, limit: 10 }),
      (events) => events.length === 3,
    );
    // One transaction each, recorded one after the other: catch-up order is id order here.
    expect(all.map((event) => event.id)).toEqual([a1First.id, a2.id, a1Second.id]);
    expect(await ids({ memberFirmId: firmA, limit: 2 })).toEqual([a1First.id, a2.id]);
    const afterA2 = { xactId: all[1]?.xactId ?? '', id: a2.id };
    expect(await ids({ memberFirmId: firmA, after: afterA2, limit: 10 })).toEqual([a1Second.id]);
    expect(await ids({ memberFirmId: firmA, accountId: accountA1, limit: 10 })).toEqual([a1First.id, a1Second.id]);
    // Another firm's account filters to nothing: the firm condition always holds.
    expect(await ids({ memberFirmId: firmA, accountId: accountB, limit: 10 })).toEqual([]);
    await expect(listAccountEvents(dataSource.manager, { memberFirmId: firmA, limit: 501 })).rejects.toThrow(
      AccountEventError,
    );
    await expect(
      listAccountEvents(dataSource.manager, { memberFirmId: firmA, after: { xactId: '-1', id: '1' }, limit: 1 }),
    ).rejects.toThrow('invalid cursor');
    await expect(
      listAccountEvents(dataSource.manager, { memberFirmId: firmA, after: { xactId: '1', id: 'x' }, limit: 1 }),
    ).rejects.toThrow('invalid cursor');
  });

  it('never lets a reader skip an event whose transaction took a lower id and committed later', async () => {
    const list = async (after?: { xactId: string; id: string }) =>
      listAccountEvents(dataSource.manager, {
        memberFirmId: firmA,
        ...(after === undefined ? {} : { after }),
        limit: 10,
      });
    const open = async () => {
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      return runner;
    };
    // `early` starts writing first (its transaction id is the lower one) but records its event after `late`
    // took a lower event id; `early` commits while `late` is still running.
    const early = await open();
    const late = await open();
    try {
      await early.query('SELECT pg_current_xact_id()');
      await late.query('SELECT pg_current_xact_id()');
      const lateEvent = await recordAccountEvent(late.manager, stateChanged(accountA1, 'test:late'));
      const earlyEvent = await recordAccountEvent(early.manager, stateChanged(accountA2, 'test:early'));
      expect(BigInt(lateEvent.id)).toBeLessThan(BigInt(earlyEvent.id));
      await early.commitTransaction();
      // Visible now: early's event (its transaction is below every running one); late's is not committed.
      const first = await settled(list, (events) => events.length > 0);
      expect(first.map((event) => event.id)).toEqual([earlyEvent.id]);
      const seen = first[0] as (typeof first)[number];
      // An id cursor would resume after early's id and never return late's lower one; this one does.
      await late.commitTransaction();
      const next = await settled(
        () => list({ xactId: seen.xactId, id: seen.id }),
        (events) => events.length > 0,
      );
      expect(next.map((event) => event.id)).toEqual([lateEvent.id]);
      // So does the live resume point of early's event: late was running when it was recorded.
      const fromHorizon = await settled(
        () => list({ xactId: seen.horizon, id: '0' }),
        (events) => events.some((event) => event.id === lateEvent.id),
      );
      expect(fromHorizon.map((event) => event.id)).toContain(lateEvent.id);
    } finally {
      for (const runner of [early, late]) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }
  });

  it('holds back an event committed after an older transaction that is still running', async () => {
    const slow = dataSource.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    try {
      const slowEvent = await recordAccountEvent(slow.manager, stateChanged(accountA1, 'test:slow'));
      const fast = await record(stateChanged(accountA2, 'test:fast'));
      // The fast transaction is younger than the running slow one: not returned yet, so no cursor passes it.
      expect(await listAccountEvents(dataSource.manager, { memberFirmId: firmA, limit: 10 })).toEqual([]);
      await slow.commitTransaction();
      const after = await settled(
        () => listAccountEvents(dataSource.manager, { memberFirmId: firmA, limit: 10 }),
        (events) => events.length === 2,
      );
      expect(after.map((event) => event.id)).toEqual([slowEvent.id, fast.id]);
    } finally {
      if (slow.isTransactionActive) await slow.rollbackTransaction();
      await slow.release();
    }
  });

  it('loads events by id in id order, and knows the latest id', async () => {
    expect(await latestAccountEventId(dataSource.manager)).toMatch(/^[0-9]+$/);
    const first = await record(stateChanged(accountA1, 'test:load-1'));
    const second = await record(stateChanged(accountB, 'test:load-2'));
    const loaded = await loadAccountEvents(dataSource.manager, [second.id, first.id, '999999999']);
    expect(loaded.map((event) => [event.id, event.memberFirmId])).toEqual([
      [first.id, firmA],
      [second.id, firmB],
    ]);
    expect(await latestAccountEventId(dataSource.manager)).toBe(second.id);
    expect(await loadAccountEvents(dataSource.manager, [])).toEqual([]);
    await expect(loadAccountEvents(dataSource.manager, ['0'])).rejects.toThrow(AccountEventError);
  });

  it('deletes expired events oldest first, at most one batch per call', async () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    const old1 = await record(stateChanged(accountA1, 'test:old-1'));
    const old2 = await record(stateChanged(accountA1, 'test:old-2'));
    const old3 = await record(stateChanged(accountA1, 'test:old-3'));
    const fresh = await record(stateChanged(accountA1, 'test:fresh'));
    await dataSource.query(`UPDATE account_event SET created_at = $2 WHERE id = ANY($1::bigint[])`, [
      [old1.id, old2.id, old3.id],
      new Date(now - 31 * 86_400_000),
    ]);
    await dataSource.query(`UPDATE account_event SET created_at = $2 WHERE id = $1`, [
      fresh.id,
      new Date(now - 29 * 86_400_000),
    ]);
    const options = { nowEpochMs: now, retentionDays: 30, batchSizeMax: 2 };
    expect(await deleteExpiredAccountEvents(dataSource.manager, options)).toBe(2);
    expect(await deleteExpiredAccountEvents(dataSource.manager, options)).toBe(1);
    expect(await deleteExpiredAccountEvents(dataSource.manager, options)).toBe(0);
    const left = (await dataSource.query(`SELECT id::text AS id FROM account_event`)) as { id: string }[];
    expect(left).toEqual([{ id: fresh.id }]);
    await expect(deleteExpiredAccountEvents(dataSource.manager, { ...options, batchSizeMax: 10_001 })).rejects.toThrow(
      AccountEventError,
    );
  });
});
