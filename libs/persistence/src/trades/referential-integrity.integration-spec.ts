import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { InstrumentEntity, VenueEntity } from '../entities/reference-data.entity.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { submitTrades } from './submit-trades.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');
const NOW = SEED_TIME.getTime() + 3_600_000;
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/**
 * Migration 1795790000000 replaced the per-row foreign keys of posting, trade and position by
 * statement-level reference checks, and made the referenced rows undeletable. These tests pin both halves:
 * a dangling reference is refused with foreign_key_violation (23503) whoever writes it, and nothing it
 * could dangle from can be deleted, re-keyed or truncated.
 */
describe('referential integrity of the novation tables (statement-level checks)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let venueId: string;
  let instrumentId: string;
  let accountId: string;
  let otherAccountId: string;
  let tradeId: string;
  let journalEntryId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 2, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    venueId = (await dataSource.manager.findOneByOrFail(VenueEntity, { code: 'DEMO' })).id;
    instrumentId = (await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' })).id;
    const [firm]: { id: string }[] = await dataSource.query(
      `INSERT INTO member_firm (code, name) VALUES ('REF', 'Reference firm') RETURNING id`,
    );
    const accounts: { id: string }[] = await dataSource.query(
      `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
       VALUES ($1, 'ref-a', 'cross', 'USDC'), ($1, 'ref-b', 'cross', 'USDC') RETURNING id`,
      [firm?.id],
    );
    accountId = accounts[0]?.id ?? '';
    otherAccountId = accounts[1]?.id ?? '';
    const result = await submitTrades(dataSource, {
      venueId,
      mode: 'atomic',
      nowEpochMs: NOW,
      trades: [
        {
          venueId,
          tradeId: 'ref-1',
          instrumentId,
          buyerAccountId: accountId,
          sellerAccountId: otherAccountId,
          quantity: '0.5',
          price: '60000',
          buyerFee: '1',
          sellerFee: '1',
          executedAtEpochMs: NOW - 1_000,
        },
      ],
    });
    expect(result.counts).toEqual({ novated: 1, duplicate: 0, rejected: 0 });
    tradeId = result.trades[0]?.tradeId ?? '';
    const [trade]: { journal_entry_id: string }[] = await dataSource.query(
      `SELECT journal_entry_id::text FROM trade WHERE id = $1`,
      [tradeId],
    );
    journalEntryId = trade?.journal_entry_id ?? '';
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const rejectsWithForeignKeyViolation = async (sql: string, parameters: unknown[], message: RegExp) => {
    await expect(dataSource.query(sql, parameters)).rejects.toMatchObject({
      driverError: expect.objectContaining({ code: '23503', message: expect.stringMatching(message) }),
    });
  };

  // Balanced pairs: the balance trigger passes, so the refusal is the reference check's.
  it('refuses a posting whose account, asset or journal entry does not exist, and writes nothing', async () => {
    const postingsBefore = await dataSource.query(`SELECT count(*)::int AS count FROM posting`);
    await rejectsWithForeignKeyViolation(
      `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
       VALUES ($1, $2, 'USDC', 1), ($1, $3, 'USDC', -1)`,
      [journalEntryId, MISSING_UUID, accountId],
      /posting\.account_id = 00000000-0000-4000-8000-000000000000 references no account row/,
    );
    await rejectsWithForeignKeyViolation(
      `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
       VALUES ($1, $2, 'NOPE', 1), ($1, $3, 'NOPE', -1)`,
      [journalEntryId, accountId, otherAccountId],
      /posting\.asset = NOPE references no asset row/,
    );
    await rejectsWithForeignKeyViolation(
      `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
       VALUES (987654321, $1, 'USDC', 1), (987654321, $2, 'USDC', -1)`,
      [accountId, otherAccountId],
      /posting\.journal_entry_id = 987654321 references no journal_entry row/,
    );
    expect(await dataSource.query(`SELECT count(*)::int AS count FROM posting`)).toEqual(postingsBefore);
  });

  it('refuses a trade or a position update that references a missing row', async () => {
    await rejectsWithForeignKeyViolation(
      `INSERT INTO trade (venue_id, venue_trade_id, instrument_id, buyer_account_id, seller_account_id, quantity,
                          price, buyer_fee, seller_fee, executed_at, payload_hash)
       VALUES ($1, 'ref-dangling', $2, $3, $4, 1, 1, 0, 0, now(), repeat('0', 64))`,
      [venueId, instrumentId, accountId, MISSING_UUID],
      /trade\.seller_account_id = 00000000-0000-4000-8000-000000000000 references no account row/,
    );
    await rejectsWithForeignKeyViolation(
      `UPDATE position SET last_trade_id = 987654321 WHERE account_id = $1`,
      [accountId],
      /position\.last_trade_id = 987654321 references no trade row/,
    );
    await rejectsWithForeignKeyViolation(
      `INSERT INTO position (account_id, instrument_id) VALUES ($1, $2)`,
      [accountId, MISSING_UUID],
      /position\.instrument_id = 00000000-0000-4000-8000-000000000000 references no instrument row/,
    );
    const [position]: { last_trade_id: string }[] = await dataSource.query(
      `SELECT last_trade_id::text FROM position WHERE account_id = $1 AND instrument_id = $2`,
      [accountId, instrumentId],
    );
    expect(position?.last_trade_id).toBe(tradeId);
  });

  // Migration 1795820000000 probes, for an UPDATE, only the keys its new rows bring (a key the old rows
  // held was checked when written and cannot have been deleted since): a new dangling key is still refused.
  it('checks the keys an update brings, and lets one through that only moves keys the rows already held', async () => {
    await rejectsWithForeignKeyViolation(
      `UPDATE trade SET seller_account_id = $2 WHERE id = $1`,
      [tradeId, MISSING_UUID],
      /trade\.seller_account_id = 00000000-0000-4000-8000-000000000000 references no account row/,
    );
    await rejectsWithForeignKeyViolation(
      `UPDATE position SET account_id = $2 WHERE account_id = $1 AND instrument_id = $3`,
      [accountId, MISSING_UUID, instrumentId],
      /position\.account_id = 00000000-0000-4000-8000-000000000000 references no account row/,
    );
    // Buyer and seller swapped: both keys were held by the old row, so nothing is probed, and both exist.
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(
        `UPDATE trade SET buyer_account_id = seller_account_id, seller_account_id = buyer_account_id WHERE id = $1`,
        [tradeId],
      );
      const swapped: { buyer_account_id: string; seller_account_id: string }[] = await runner.query(
        `SELECT buyer_account_id::text, seller_account_id::text FROM trade WHERE id = $1`,
        [tradeId],
      );
      expect(swapped).toEqual([{ buyer_account_id: otherAccountId, seller_account_id: accountId }]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  // The balance check sums a statement's own postings (1795820000000): the entry's earlier postings were
  // balanced when inserted, so an entry balances exactly when each statement's share of it does.
  it('refuses a statement whose postings unbalance an existing entry, and accepts a balanced addition', async () => {
    const [entry]: { id: string }[] = await dataSource.query(
      `INSERT INTO journal_entry (idempotency_key, payload_hash, kind, description)
       VALUES ('ref:balance', repeat('0', 64), 'raw', 'balance check') RETURNING id::text`,
    );
    const post = (amounts: string[]) =>
      dataSource.query(
        `INSERT INTO posting (journal_entry_id, account_id, asset, amount)
         SELECT $1::bigint, $2::uuid, 'USDC', amount FROM unnest($3::numeric[]) AS amount`,
        [entry?.id, accountId, amounts],
      );
    await post(['5', '-5']);
    await expect(post(['2'])).rejects.toMatchObject({
      driverError: expect.objectContaining({
        code: '23514',
        message: expect.stringMatching(/does not balance in USDC: sum 2/),
      }),
    });
    await post(['2', '-1.5', '-0.5']);
    const [sums]: { postings: number; total: string }[] = await dataSource.query(
      `SELECT count(*)::int AS postings, sum(amount)::text AS total FROM posting WHERE journal_entry_id = $1`,
      [entry?.id],
    );
    expect(sums).toEqual({ postings: 5, total: '0.000000000000000000' });
  });

  it('never deletes, re-keys or truncates a referenced table', async () => {
    await rejectsWithForeignKeyViolation(
      `DELETE FROM account WHERE id = $1`,
      [accountId],
      /account rows are referenced/,
    );
    await rejectsWithForeignKeyViolation(
      `UPDATE account SET id = gen_random_uuid() WHERE id = $1`,
      [otherAccountId],
      /account rows are referenced/,
    );
    await rejectsWithForeignKeyViolation(`DELETE FROM trade WHERE id = $1`, [tradeId], /trade rows are referenced/);
    await rejectsWithForeignKeyViolation(`DELETE FROM asset WHERE code = 'USDC'`, [], /asset rows are referenced/);
    await rejectsWithForeignKeyViolation(`DELETE FROM venue WHERE id = $1`, [venueId], /venue rows are referenced/);
    await rejectsWithForeignKeyViolation(
      `DELETE FROM instrument WHERE id = $1`,
      [instrumentId],
      /instrument rows are referenced/,
    );
    await rejectsWithForeignKeyViolation(`TRUNCATE journal_entry CASCADE`, [], /journal_entry rows are referenced/);
    // Updating other columns of a referenced row stays allowed (accounts change status, instruments expire).
    await dataSource.query(`UPDATE account SET status = status WHERE id = $1`, [accountId]);
    const [account]: { count: number }[] = await dataSource.query(
      `SELECT count(*)::int AS count FROM account WHERE id = $1`,
      [accountId],
    );
    expect(account?.count).toBe(1);
  });
});
