import { Decimal } from '@novation/money';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { auditInvariants } from './auditor.js';

describe('auditor on real PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 5, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, new Date('2026-11-25T00:00:00Z'));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('finds no violation in the seeded demo market', async () => {
    expect(await auditInvariants(dataSource)).toEqual([]);
  });

  it('reports a position that no trade explains and an instrument that is not flat', async () => {
    await dataSource
      .transaction(async (manager) => {
        const [account] = await manager.query(`SELECT id FROM account WHERE kind <> 'house' LIMIT 1`);
        const [instrument] = await manager.query(`SELECT id FROM instrument WHERE kind = 'perpetual' LIMIT 1`);
        await manager.query(
          `INSERT INTO position (account_id, instrument_id, quantity, average_entry_price) VALUES ($1, $2, $3, $4)`,
          [account.id, instrument.id, new Decimal('1.5').toFixed(), '50000'],
        );
        const checks = (await auditInvariants(manager)).map((violation) => violation.check);
        expect(checks).toEqual(['position_has_trades', 'position_equals_trades', 'open_interest_flat']);
        throw new RollbackForTest();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RollbackForTest)) throw error;
      });
    expect(await auditInvariants(dataSource)).toEqual([]);
  });
});

class RollbackForTest extends Error {}
