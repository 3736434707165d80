import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { AccountEntity } from './entities/membership.entity.js';
import { LedgerError, postJournalEntry } from './ledger.js';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateDown, migrateUp, migrations } from './data-source.js';
import { seedDemoMarket } from './seed/demo-market.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');

/** A migrated DataSource on a test database; TypeORM's error log is off (these tests fail queries on purpose). */
async function openMigrated(url: string): Promise<DataSource> {
  const options = dataSourceOptions({
    database: { url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
  });
  const dataSource = new DataSource({ ...options, logging: false });
  await dataSource.initialize();
  await migrateUp(dataSource);
  return dataSource;
}

describe('ledger, migrations and demo seed on real PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let custodyId: string;
  let accountId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openMigrated(database.url);
    await seedDemoMarket(dataSource, SEED_TIME);
    custodyId = (await dataSource.manager.findOneByOrFail(AccountEntity, { houseRole: 'custody' })).id;
    accountId = (await dataSource.manager.findOneByOrFail(AccountEntity, { code: 'main', kind: 'cross' })).id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function balance(account: string, asset: string): Promise<string> {
    const [row] = await dataSource.query(
      'SELECT coalesce(sum(amount), 0)::text AS balance FROM posting WHERE account_id = $1 AND asset = $2',
      [account, asset],
    );
    return new Decimal(row.balance).toFixed();
  }

  const deposit = (key: string, amount: string) => ({
    idempotencyKey: key,
    kind: 'deposit',
    description: 'test deposit',
    postings: [
      { accountId, asset: 'USDC', amount: new Decimal(amount) },
      { accountId: custodyId, asset: 'USDC', amount: new Decimal(amount).negated() },
    ],
  });

  it('seeds the demo market idempotently', async () => {
    const second = await seedDemoMarket(dataSource, SEED_TIME);
    expect(second.depositsApplied).toBe(0);
    const [counts] = await dataSource.query(
      `SELECT (SELECT count(*) FROM member_firm)::int AS firms, (SELECT count(*) FROM instrument)::int AS instruments,
              (SELECT count(*) FROM journal_entry)::int AS entries`,
    );
    expect(counts).toEqual({ firms: 3, instruments: 9, entries: 7 });
  });

  it('applies an entry once per idempotency key', async () => {
    const before = await balance(accountId, 'USDC');
    const first = await dataSource.transaction((manager) => postJournalEntry(manager, deposit('test:once', '125.5')));
    const retry = await dataSource.transaction((manager) => postJournalEntry(manager, deposit('test:once', '125.5')));
    expect(first.created).toBe(true);
    expect(retry).toEqual({ journalEntryId: first.journalEntryId, created: false });
    expect(await balance(accountId, 'USDC')).toBe(new Decimal(before).plus('125.5').toFixed());
  });

  it('refuses the same key with a different payload and changes nothing', async () => {
    const before = await balance(accountId, 'USDC');
    await expect(
      dataSource.transaction((manager) => postJournalEntry(manager, deposit('test:once', '999'))),
    ).rejects.toThrow(LedgerError);
    expect(await balance(accountId, 'USDC')).toBe(before);
  });

  it('refuses an unbalanced entry in code before any SQL', async () => {
    const unbalanced = { ...deposit('test:unbalanced', '10'), postings: deposit('x', '10').postings.slice(0, 1) };
    await expect(dataSource.transaction((manager) => postJournalEntry(manager, unbalanced))).rejects.toThrow(
      /UNBALANCED_ENTRY/,
    );
  });

  it('the database itself refuses an unbalanced entry (checked per INSERT statement)', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        const [entry] = await manager.query(
          `INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description) VALUES ('raw:1', repeat('0', 64), 'raw', 'raw') RETURNING id`,
        );
        await manager.query(
          `INSERT INTO posting (journal_entry_id, account_id, asset, amount) VALUES ($1, $2, 'USDC', 1)`,
          [entry.id, accountId],
        );
      }),
    ).rejects.toThrow(/does not balance/);
  });

  it('keeps postings append-only', async () => {
    await expect(dataSource.query('UPDATE posting SET amount = amount * 2')).rejects.toThrow(/append-only/);
    await expect(dataSource.query('DELETE FROM journal_entry')).rejects.toThrow(/append-only/);
  });

  it('migrates down and up again', async () => {
    const scratch = await createTestDatabase();
    const scratchSource = await openMigrated(scratch.url);
    try {
      await migrateDown(scratchSource, migrations.length);
      const [afterDown] = await scratchSource.query(`SELECT to_regclass('public.posting') AS posting`);
      expect(afterDown.posting).toBeNull();
      expect(await migrateUp(scratchSource)).toHaveLength(migrations.length);
      expect(await migrateUp(scratchSource)).toEqual([]);
    } finally {
      await scratchSource.destroy();
      await scratch.drop();
    }
  });
});
