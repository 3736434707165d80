import { createTestDatabase, type TestDatabase } from '@novation/testing';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUp } from './data-source.js';
import { AccountEntity } from './entities/membership.entity.js';
import { InstrumentEntity } from './entities/reference-data.entity.js';
import { seedDemoMarket } from './seed/demo-market.js';

const SEED_TIME = new Date('2026-11-25T12:00:00Z');

/** Migration 1795780000000-ReadModelNotifications: what a listener on `read_model` hears, and when. */
describe('read-model change notifications', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({
        database: { url: database.url, poolSizeMax: 3, statementTimeoutMs: 60_000, runMigrationsAtStart: false },
      }),
      logging: false,
    });
    await dataSource.initialize();
    await migrateUp(dataSource);
    await seedDemoMarket(dataSource, SEED_TIME);
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query('LISTEN read_model');
  });

  afterAll(async () => {
    await listener.end();
    await dataSource.destroy();
    await database.drop();
  });

  /** Waits for our own marker: notifications arrive in commit order, so everything before it has arrived. */
  async function drain(): Promise<string[]> {
    const marker = `s:${Math.random()}`;
    await dataSource.query(`SELECT pg_notify('read_model', $1)`, [marker]);
    for (let attempt = 0; attempt < 200 && !heard.includes(marker); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const payloads = heard.splice(0).filter((payload) => payload !== marker);
    return payloads;
  }

  it('names the accounts whose positions, receipts, rows or postings a committed statement changed', async () => {
    await drain();
    const accounts = await dataSource.manager.find(AccountEntity, { where: { kind: 'cross' }, order: { id: 'ASC' } });
    const [first, second] = accounts;
    await dataSource.query(`UPDATE account SET code = code WHERE id = ANY($1::uuid[])`, [[first?.id, second?.id]]);
    const payloads = await drain();
    expect(payloads).toHaveLength(1);
    expect(new Set(payloads[0]?.slice(2).split(','))).toEqual(new Set([first?.id, second?.id]));
    expect(payloads[0]?.startsWith('a:')).toBe(true);
  });

  it('sends nothing for a rolled-back change', async () => {
    await drain();
    const account = await dataSource.manager.findOneByOrFail(AccountEntity, { kind: 'cross' });
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(`UPDATE account SET code = code WHERE id = $1`, [account.id]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await drain()).toEqual([]);
  });

  it('names instruments on a new mark, and sends "*" for a statement touching over 3,000 keys', async () => {
    await drain();
    const instrument = await dataSource.manager.findOneByOrFail(InstrumentEntity, { symbol: 'BTC-PERP' });
    await dataSource.query(
      `INSERT INTO mark_price (instrument_id, price, observed_at, source) VALUES ($1, 101000, now(), 'test')`,
      [instrument.id],
    );
    expect(await drain()).toEqual([`m:${instrument.id}`]);
    // A statement touching more than 3,000 keys sends "drop everything of that kind" instead of the ids.
    const [firm] = (await dataSource.query(
      `INSERT INTO member_firm (code, name) VALUES ('BULK', 'Bulk firm') RETURNING id`,
    )) as { id: string }[];
    await dataSource.query(
      `INSERT INTO account (member_firm_id, code, kind, settlement_asset)
       SELECT $1::uuid, 'bulk-' || n, 'cross', 'USDC' FROM generate_series(1, 3001) AS n`,
      [firm?.id],
    );
    expect(await drain()).toEqual(['a:*']);
  });
});
