import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@novation/testing';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from '../data-source.js';
import { AccountEntity } from '../entities/membership.entity.js';
import { seedDemoMarket } from '../seed/demo-market.js';
import { exportReceipt, marginAccount } from './margin-account.js';

const workspaceRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const SEED_TIME = new Date('2026-11-25T12:00:00Z');

/**
 * The promise made to member firms: a receipt stored by the margin service, exported as JSON, replays
 * with the published `novation-risk replay` binary (run here as a separate process) to the same result.
 */
describe('a stored margin receipt replays with the novation-risk binary', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let directory: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const options = dataSourceOptions({
      database: { url: database.url, poolSizeMax: 3, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
    });
    dataSource = new DataSource({ ...options, logging: false });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    directory = mkdtempSync(join(tmpdir(), 'novation-receipt-'));
  });

  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await dataSource?.destroy();
    await database?.drop();
  });

  it('exports the receipt of a seeded account and the CLI confirms it field by field', async () => {
    const observedAt = new Date(SEED_TIME.getTime() + 60_000);
    for (const [underlying, price] of [
      ['BTC-USD', '100000'],
      ['ETH-USD', '4000'],
    ]) {
      await dataSource.query(
        `INSERT INTO index_price (underlying, price, observed_at, source) VALUES ($1, $2, $3, 'test')`,
        [underlying, price, observedAt],
      );
    }
    const account = await dataSource.manager.findOneByOrFail(AccountEntity, { code: 'main', kind: 'cross' });
    const margined = await marginAccount(dataSource, account.id, SEED_TIME.getTime() + 120_000);
    const receipt = await exportReceipt(dataSource.manager, margined.receiptId);
    const path = join(directory, 'receipt.json');
    writeFileSync(path, JSON.stringify(receipt));

    const replay = spawnSync('npx', ['--no-install', 'novation-risk', 'replay', '--input', path], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(replay.stderr).not.toMatch(/"error"/);
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ match: true });

    const tamperedPath = join(directory, 'tampered.json');
    writeFileSync(
      tamperedPath,
      JSON.stringify({ ...receipt, result: { ...(receipt.result as Record<string, unknown>), equity: '1' } }),
    );
    const tampered = spawnSync('npx', ['--no-install', 'novation-risk', 'replay', '--input', tamperedPath], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tampered.status).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ match: false, field: 'result.equity' });
  }, 180_000);
});
